import Clients
import Foundation
import GatewayService
import Model
import Synchronization
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Staged rollout through the gateway's traffic split: both versions held by every replica, 10,000
/// users split 90/10 within statistical bounds and each sticky to its version, a live change of
/// the split under load with no failed request, and an unknown version refused with the split kept.
@Suite(.serialized) struct RolloutTests {
    static let stable = Fixtures.randomModel(items: 400, dim: 16, heads: 2, layers: 1, maxHistory: 20, seed: 21)
    static let canary = Fixtures.randomModel(items: 400, dim: 16, heads: 2, layers: 1, maxHistory: 20, seed: 22)

    /// One request per user from `threads` clients; the version that served each user.
    static func serve(_ users: [String], gateway: String, threads: Int = 4) -> (versions: [String: String], failures: [String]) {
        let outcomes = Mutex<(versions: [String: String], failures: [String])>(([:], []))
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            guard let client = try? GatewayClient(context: ZMQContext(), endpoint: gateway) else {
                outcomes.withLock { $0.failures.append("client \(thread) could not connect") }
                return
            }
            for user in users.enumerated().filter({ $0.offset % threads == thread }).map(\.element) {
                let request = RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: user, history: [1, 2, 3], candidates: [5, 6, 7, 8], k: 2)
                do {
                    let reply = try client.recommend(request, timeoutMilliseconds: 5_000)
                    outcomes.withLock {
                        if let error = reply.error {
                            $0.failures.append("\(user): \(error)")
                        } else {
                            $0.versions[user] = reply.modelVersion
                        }
                    }
                } catch {
                    outcomes.withLock { $0.failures.append("\(user): \(error)") }
                }
            }
        }
        return outcomes.withLock { $0 }
    }

    @Test func splitIsStickyWithinBoundsChangesLiveAndRefusesUnknownVersions() throws {
        let (v1, v2) = (Self.stable.config.version, Self.canary.config.version)
        let cluster = try ServiceCluster(
            model: Self.stable, scorers: 2, replicaArguments: ["--reload-interval-ms", "100"],
            embeddingArguments: ["--reload-interval-ms", "100"])
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")
        let admin = try AdminClient(context: ZMQContext(), endpoint: cluster.admin)

        var reported = false
        for _ in 0..<50 where !reported {
            usleep(100_000)
            reported = try admin.status().get().replicas.filter { $0.status != nil }.count == 3
        }
        // Before the canary is loaded anywhere, a split naming it is refused.
        let early = try admin.setSplit([VersionShare(version: v1, percent: 90), VersionShare(version: v2, percent: 10)])
        guard case .failure(let refused) = early else { Issue.record("a split naming an unloaded version was accepted"); return }
        #expect(refused.code == .modelVersionUnavailable && refused.message.contains(v2), "\(refused)")

        // Hot swap the file: every tier then holds both versions (the previous one is kept).
        try Self.canary.save(path: cluster.modelPath)
        var holdsBoth = false
        for _ in 0..<100 where !holdsBoth {
            usleep(100_000)
            let replicas = try admin.status().get().replicas
            holdsBoth = replicas.count == 3 && replicas.allSatisfy { Set($0.status?.versions ?? []) == [v1, v2] }
        }
        try #require(holdsBoth, "replicas never reported both versions:\n\(cluster.logs())")

        // 90/10 over 10,000 users: each user gets the version its hash picks; shares within 4.5 sigma.
        let ninetyTen = [VersionShare(version: v1, percent: 90), VersionShare(version: v2, percent: 10)]
        _ = try admin.setSplit(ninetyTen).get()
        let users = (0..<10_000).map { "user-\($0)" }
        let (versions, failures) = Self.serve(users, gateway: cluster.gateway)
        #expect(failures.isEmpty, "\(failures.count) failed: \(failures.prefix(3))")
        let canaryUsers = versions.values.filter { $0 == v2 }.count
        let sigma = (10_000 * 0.1 * 0.9).squareRoot()
        #expect(abs(Double(canaryUsers) - 1_000) <= 4.5 * sigma, "\(canaryUsers) of 10,000 users on the canary")
        let split = try TrafficSplit(ninetyTen)
        #expect(users.allSatisfy { versions[$0] == split.version(for: $0) })
        // Sticky: asked again, the same users get the same versions.
        let again = Self.serve(Array(users.prefix(500)), gateway: cluster.gateway)
        #expect(again.failures.isEmpty && users.prefix(500).allSatisfy { again.versions[$0] == versions[$0] })

        // A live change under load: no request fails, and widening only moves users to the canary.
        let widened = [VersionShare(version: v1, percent: 75), VersionShare(version: v2, percent: 25)]
        let underLoad = Mutex<(versions: [String: String], failures: [String])>(([:], []))
        let group = DispatchGroup()
        let gateway = cluster.gateway
        DispatchQueue(label: "load").async(group: group) {
            let served = Self.serve((10_000..<12_000).map { "user-\($0)" }, gateway: gateway, threads: 2)
            underLoad.withLock { $0 = served }
        }
        usleep(200_000)
        _ = try admin.setSplit(widened).get()
        group.wait()
        let duringChange = underLoad.withLock { $0 }
        #expect(duringChange.versions.count == 2_000)
        #expect(
            duringChange.failures.isEmpty, "\(duringChange.failures.count) failed during the change: \(duringChange.failures.prefix(3))")
        let after = Self.serve(Array(users.prefix(1_000)), gateway: cluster.gateway)
        let widenedSplit = try TrafficSplit(widened)
        #expect(after.failures.isEmpty && users.prefix(1_000).allSatisfy { after.versions[$0] == widenedSplit.version(for: $0) })
        #expect(users.prefix(1_000).allSatisfy { versions[$0] != v2 || after.versions[$0] == v2 }, "a canary user moved back")

        // An unknown version is refused and the split stays as it was.
        let unknown = try admin.setSplit([VersionShare(version: v1, percent: 90), VersionShare(version: "test-99", percent: 10)])
        guard case .failure(let error) = unknown else { Issue.record("an unknown version was accepted"); return }
        #expect(error.code == .modelVersionUnavailable && error.message.contains("test-99"))
        #expect(try admin.status().get().split == widened)
        for name in cluster.names { #expect(cluster.isRunning(name), "\(name) restarted or died") }
    }
}
