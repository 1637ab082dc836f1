import Broker
import Clocks
import Testing
import ZeroMQ

/// The replica's side of the broker protocol, driven event by event with a hand-held clock
/// (heartbeat 250 ms, liveness 4: the broker is given up after 1 s of silence).
@Suite struct WorkerStateMachineTests {
    var worker: WorkerStateMachine

    init() {
        var configuration = WorkerStateMachine.Configuration()
        configuration.heartbeat = .milliseconds(250)
        configuration.liveness = 4
        configuration.reconnectDelay = .milliseconds(100)
        configuration.maxReconnectDelay = .milliseconds(800)
        configuration.healthFileInterval = .seconds(1)
        worker = WorkerStateMachine(configuration: configuration)
    }

    @Test mutating func registersThenHeartbeatsOnSchedule() {
        #expect(worker.start(now: at(0)) == [.connect])
        #expect(worker.start(now: at(1)) == [])  // only once
        #expect(worker.tick(now: at(249)) == [])
        #expect(worker.tick(now: at(250)) == [.sendHeartbeat])
        #expect(worker.tick(now: at(300)) == [])
        #expect(worker.tick(now: at(500)) == [.sendHeartbeat])
        #expect(worker.timeUntilNextTimer(now: at(600)) == .milliseconds(150))
    }

    @Test mutating func requestsAreDeliveredAndTheHealthFileTouchedAtMostOnceASecond() {
        _ = worker.start(now: at(0))
        let payload = Frame([1, 2, 3])
        #expect(worker.received(.request(tag: 7, payload: payload), now: at(10)) == [.touchHealthFile, .deliver(tag: 7, payload: payload)])
        #expect(worker.received(.heartbeat, now: at(500)) == [])
        #expect(worker.received(.heartbeat, now: at(1_010)) == [.touchHealthFile])
    }

    @Test mutating func heartbeatLossReconnectsWithExponentialBackoff() {
        _ = worker.start(now: at(0))
        // Heard at 100 ms: the broker is live until 1,100 ms.
        _ = worker.received(.heartbeat, now: at(100))
        #expect(!worker.tick(now: at(1_099)).contains(.closeConnection))
        #expect(worker.tick(now: at(1_100)) == [.closeConnection])
        #expect(worker.state == .backingOff(until: at(1_200)))
        #expect(worker.tick(now: at(1_199)) == [])
        #expect(worker.tick(now: at(1_200)) == [.connect])
        // Still silent: each failed attempt doubles the wait (100, 200, 400, then the 800 cap).
        var now = 1_200
        for expected in [200, 400, 800, 800] {
            now += 1_000
            #expect(worker.tick(now: at(now)) == [.closeConnection])
            #expect(worker.state == .backingOff(until: at(now + expected)))
            now += expected
            #expect(worker.tick(now: at(now)) == [.connect])
        }
        // Nothing is delivered or touched while the link is down.
        #expect(worker.silentAttempts == 5)
    }

    @Test mutating func brokerRestartIsSurvived() {
        _ = worker.start(now: at(0))
        _ = worker.received(.heartbeat, now: at(200))
        // The broker dies: silence, a reconnection attempt into the void, then it is back.
        #expect(worker.tick(now: at(1_200)) == [.closeConnection])
        #expect(worker.tick(now: at(1_300)) == [.connect])
        #expect(worker.tick(now: at(2_300)) == [.closeConnection])
        #expect(worker.tick(now: at(2_500)) == [.connect])
        // The restarted broker hears our READY and heartbeats: the link is up and backoff resets.
        #expect(worker.received(.heartbeat, now: at(2_600)) == [.touchHealthFile])
        #expect(worker.silentAttempts == 0)
        #expect(worker.state == .connected(brokerExpiresAt: at(3_600), nextHeartbeatAt: at(2_750)))
        // A restarted broker that never saw our READY answers a heartbeat with DISCONNECT:
        // register again at once, no backoff.
        #expect(worker.received(.disconnect, now: at(2_700)) == [.closeConnection, .connect])
        #expect(worker.state == .connected(brokerExpiresAt: at(3_700), nextHeartbeatAt: at(2_950)))
    }

    @Test mutating func malformedMessagesStillProveTheBrokerIsAlive() {
        _ = worker.start(now: at(0))
        #expect(worker.received(nil, now: at(900)) == [.touchHealthFile])
        #expect(!worker.tick(now: at(1_500)).contains(.closeConnection))
    }

    @Test mutating func cleanDisconnectSaysGoodbyeOnceAndThenNothing() {
        _ = worker.start(now: at(0))
        #expect(worker.stop(now: at(10)) == [.sendDisconnect])
        #expect(worker.state == .stopped)
        #expect(worker.tick(now: at(5_000)) == [])
        #expect(worker.received(.request(tag: 1, payload: Frame([0])), now: at(5_001)) == [])
        #expect(worker.stop(now: at(5_002)) == [])
        // Stopping while backing off has nobody to say goodbye to.
        var other = WorkerStateMachine()
        _ = other.start(now: at(0))
        _ = other.tick(now: at(10_000))
        #expect(other.stop(now: at(10_001)) == [])
    }

    @Test func messagesFromTheBrokerParseIntoOneTypedEnum() {
        let request = BrokerMessage(WorkerProtocol.frames(.request, [WorkerProtocol.tagBytes(9), [4, 5]]))
        guard case .request(9, let payload) = request else {
            Issue.record("not a request: \(String(describing: request))")
            return
        }
        #expect(payload.bytes == [4, 5])
        #expect(BrokerMessage(WorkerProtocol.frames(.heartbeat)).map { if case .heartbeat = $0 { true } else { false } } == true)
        #expect(BrokerMessage(WorkerProtocol.frames(.request, [[1, 2], [3]])) == nil)  // tag of 2 bytes
        #expect(BrokerMessage(WorkerProtocol.frames(.ready, [[1], [1]])) == nil)  // a worker's command
        #expect(BrokerMessage([Frame("RSW0"), Frame([4])]) == nil)
        #expect(BrokerMessage([Frame("RSW1")]) == nil)
    }
}
