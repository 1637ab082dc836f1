import Broker
import Clocks
import GatewayService
import Logging
import Testing
import Wire
import ZeroMQ

/// The traffic split's rules, and the coordinator's refusal of versions replicas do not hold.
@Suite struct TrafficSplitTests {
    static let users = (0..<10_000).map { "user-\($0)" }

    @Test func badSplitsAreRefusedWithTheReason() throws {
        let cases: [(shares: [VersionShare], mentions: String)] = [
            ([], "at least one version"),
            ([VersionShare(version: "a", percent: 90), VersionShare(version: "b", percent: 20)], "add up to 110"),
            ([VersionShare(version: "a", percent: 50), VersionShare(version: "a", percent: 50)], "appears twice"),
        ]
        for (shares, mentions) in cases {
            #expect(throws: ServiceError.self) { try TrafficSplit(shares) }
            do { _ = try TrafficSplit(shares) } catch { #expect(error.code == .badRequest && error.message.contains(mentions), "\(error)") }
        }
        #expect(throws: ServiceError.self) { try VersionShare.parse("a=90,b") }
        #expect(try VersionShare.parse("a=90, b=10") == [VersionShare(version: "a", percent: 90), VersionShare(version: "b", percent: 10)])
    }

    @Test func sharesAreNearTheirPercentsAndWideningOnlyMovesUsersToTheCanary() throws {
        let before = try TrafficSplit([VersionShare(version: "a", percent: 90), VersionShare(version: "b", percent: 10)])
        let after = try TrafficSplit([VersionShare(version: "a", percent: 75), VersionShare(version: "b", percent: 25)])
        let onCanary = Self.users.filter { before.version(for: $0) == "b" }
        #expect(abs(Double(onCanary.count) - 1_000) <= 4.5 * 30)
        #expect(abs(Double(Self.users.filter { after.version(for: $0) == "b" }.count) - 2_500) <= 4.5 * 43.3)
        #expect(onCanary.allSatisfy { after.version(for: $0) == "b" })
        #expect(Self.users.allSatisfy { before.version(for: $0) == before.version(for: $0) })
        #expect(TrafficSplit.none.version(for: "anyone") == "")
    }

    @Test func coordinatorRefusesVersionsAReplicaDoesNotHoldAndKeepsTheSplit() {
        var gateway = GatewayCoordinator(configuration: GatewayConfiguration(), logger: Logger(label: "test"))
        let now = Moment(instant: .zero, wall: .now)
        let replicas: [(id: [UInt8], service: String, versions: [String])] = [
            ([1], "history-encoder", ["a", "b"]), ([2], "scorer", ["a", "b"]), ([3], "scorer", ["a"]),
        ]
        for replica in replicas {
            _ = gateway.workerMessage(
                WorkerProtocol.frames(.ready, [Array(replica.service.utf8), Array("1".utf8)]), from: replica.id, now: now)
        }
        let split = [VersionShare(version: "a", percent: 90), VersionShare(version: "b", percent: 10)]
        #expect(gateway.setSplit(split)?.message.contains("not reported their model versions") == true)
        for replica in replicas {
            var status = ReplicaStatus()
            status.versions = replica.versions
            _ = gateway.workerMessage(WorkerProtocol.frames(.heartbeat, [status.encoded()]), from: replica.id, now: now)
        }
        let refused = gateway.setSplit(split)
        #expect(refused?.code == .modelVersionUnavailable && refused?.message.contains("1 of 2 scorer replicas do not hold b") == true)
        #expect(gateway.split == .none)
        #expect(gateway.setSplit([VersionShare(version: "a", percent: 100)]) == nil)
        #expect(gateway.split.shares == [VersionShare(version: "a", percent: 100)])
        #expect(gateway.replicaInfo().map(\.status?.versions) == [["a", "b"], ["a", "b"], ["a"]])
    }
}
