import Broker
import Clocks
import Testing
import ZeroMQ

/// `ms` milliseconds after the origin of a hand-held clock.
func at(_ milliseconds: Int) -> Instant { .zero + .milliseconds(milliseconds) }

@Suite struct BrokerStateMachineTests {
    var broker = BrokerStateMachine()
    let a: [UInt8] = [1]
    let b: [UInt8] = [2]
    let c: [UInt8] = [3]

    @Test mutating func assignsLeastRecentlyUsedWorkerWithFreeCredits() {
        _ = broker.received(.ready(service: "scorer", credits: 1), from: a, now: at(0))
        _ = broker.received(.ready(service: "scorer", credits: 1), from: b, now: at(1))
        _ = broker.received(.ready(service: "history-encoder", credits: 1), from: c, now: at(2))
        #expect(broker.assign(tag: 10, service: "scorer", now: at(5)) == a)
        #expect(broker.assign(tag: 11, service: "scorer", now: at(6)) == b)
        #expect(broker.assign(tag: 12, service: "scorer", now: at(7)) == nil)  // both busy
        #expect(broker.received(.reply(tag: 10, payload: Frame()), from: a, now: at(8)) == [.completed(tag: 10)])
        #expect(broker.assign(tag: 12, service: "scorer", now: at(9)) == a)
        #expect(broker.freeCredits(service: "scorer") == 0)
        #expect(broker.assign(tag: 13, service: "missing", now: at(9)) == nil)
    }

    @Test mutating func multiCreditWorkersTakeSeveralJobs() {
        _ = broker.received(.ready(service: "scorer", credits: 3), from: a, now: at(0))
        #expect(broker.assign(tag: 1, service: "scorer", now: at(1)) == a)
        #expect(broker.assign(tag: 2, service: "scorer", now: at(2)) == a)
        #expect(broker.assign(tag: 3, service: "scorer", now: at(3)) == a)
        #expect(broker.assign(tag: 4, service: "scorer", now: at(4)) == nil)
    }

    @Test mutating func expiryScansEveryWorkerAndOrphansTheirJobs() {
        // Registration order a (expires first), b (alive), c (expires): the guide's broker would
        // stop at b and keep c.
        _ = broker.received(.ready(service: "scorer", credits: 1), from: a, now: at(0))
        _ = broker.received(.ready(service: "scorer", credits: 1), from: b, now: at(0))
        _ = broker.received(.ready(service: "scorer", credits: 1), from: c, now: at(0))
        _ = broker.assign(tag: 7, service: "scorer", now: at(0))  // goes to a
        _ = broker.received(.heartbeat, from: b, now: at(900))
        let actions = broker.expire(now: at(1_000))
        #expect(actions == [.orphaned(tags: [7], service: "scorer")])
        #expect(broker.liveWorkers(service: "scorer") == 1)
        #expect(broker.allWorkers == [b])
    }

    @Test mutating func protocolViolationsDisconnect() {
        #expect(broker.received(.heartbeat, from: a, now: at(0)) == [.disconnect(a)])
        #expect(broker.received(.reply(tag: 1, payload: Frame()), from: a, now: at(0)) == [.disconnect(a)])
        _ = broker.received(.ready(service: "scorer", credits: 1), from: a, now: at(0))
        _ = broker.assign(tag: 5, service: "scorer", now: at(0))
        // READY twice: forget the worker (retrying its job) and make it start over.
        #expect(
            broker.received(.ready(service: "scorer", credits: 1), from: a, now: at(1)) == [
                .orphaned(tags: [5], service: "scorer"), .disconnect(a),
            ])
        #expect(broker.liveWorkers(service: "scorer") == 0)
    }

    @Test mutating func lateRepliesFreeTheCreditButCompleteNothing() {
        _ = broker.received(.ready(service: "scorer", credits: 1), from: a, now: at(0))
        #expect(broker.received(.reply(tag: 99, payload: Frame()), from: a, now: at(1)) == [])
    }

    @Test func malformedWorkerFramesAreRejected() {
        let header = WorkerProtocol.header
        #expect(WorkerMessage([Frame(header)]) == nil)
        #expect(WorkerMessage([Frame(Array("XXXX".utf8)), Frame([4])]) == nil)
        #expect(WorkerMessage([Frame(header), Frame([99])]) == nil)
        #expect(WorkerMessage([Frame(header), Frame([1]), Frame("scorer"), Frame("0")]) == nil)  // zero credits
        #expect(WorkerMessage([Frame(header), Frame([3]), Frame([1, 2]), Frame()]) == nil)  // short tag
        #expect(WorkerMessage([Frame(header), Frame([4])]) != nil)
    }
}
