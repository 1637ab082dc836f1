import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// A new model file replaces the old one under load: every tier loads it without a restart, no
/// request fails, requests already encoded with the old version finish on it, and new ones get
/// exactly the new model's answers.
@Suite(.serialized) struct HotSwapTests {
    static let v1 = Fixtures.randomModel(items: 1_000, dim: 32, heads: 2, layers: 2, maxHistory: 50, seed: 31)
    static let v2 = Fixtures.randomModel(items: 1_000, dim: 32, heads: 2, layers: 2, maxHistory: 50, seed: 32)

    /// Sends requests from its own thread until stopped; counts versions and failures.
    final class Load: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var versions: [String] = []
        private(set) var failures: [String] = []
        private let done = DispatchSemaphore(value: 0)

        init(gateway: String, items: Int64 = 1_000) {
            Thread { [self] in
                defer { done.signal() }
                guard let client = try? GatewayClient(context: ZMQContext(), endpoint: gateway) else { return }
                var sent: UInt64 = 0
                while !lock.withLock({ stopped }) {
                    sent += 1
                    let request = RecommendRequest(
                        header: RequestHeader(requestID: 0, deadline: nil), userID: "load-\(sent)",
                        history: Fixtures.randomIDs(count: 30, below: Int(items), seed: sent), candidates: Array(0..<300), k: 5)
                    do {
                        let reply = try client.recommend(request, timeoutMilliseconds: 3_000)
                        lock.withLock {
                            if let error = reply.error { failures.append("\(error)") } else { versions.append(reply.modelVersion) }
                        }
                    } catch {
                        lock.withLock { failures.append("\(error)") }
                    }
                }
            }.start()
        }

        func stop() -> (versions: [String], failures: [String]) {
            lock.withLock { stopped = true }
            done.wait()
            return lock.withLock { (versions, failures) }
        }
    }

    @Test func swapUnderLoadLosesNoRequest() throws {
        let cluster = try ServiceCluster(
            model: Self.v1, scorers: 2, replicaArguments: ["--reload-interval-ms", "100", "--activation-delay-ms", "1000"],
            embeddingArguments: ["--reload-interval-ms", "100"])
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")

        let load = Load(gateway: cluster.gateway)
        usleep(800_000)
        try Self.v2.save(path: cluster.modelPath)  // temporary file + rename: readers never see half a model
        usleep(3_000_000)
        let (versions, failures) = load.stop()

        #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(3))\n\(cluster.logs())")
        let v1 = Self.v1.config.version
        let v2 = Self.v2.config.version
        #expect(versions.contains(v1) && versions.contains(v2), "versions seen: \(Set(versions))")
        #expect(versions.suffix(20).allSatisfy { $0 == v2 }, "the swap did not finish")
        #expect(versions.count > 50)

        // After the swap the answers are exactly the new model's.
        let history = Fixtures.randomIDs(count: 40, below: 1_000, seed: 99)
        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "check", history: history, allItems: true, k: 10)
        let reply = try client.recommend(request, timeoutMilliseconds: 3_000)
        let expected = LocalRecommender(file: Self.v2).recommend(
            history: history, candidates: Array(0..<1_000), k: 10, workspace: Workspace())
        #expect(reply.modelVersion == v2)
        #expect(reply.ranked.items == expected.map(\.id))
        for name in cluster.names { #expect(cluster.isRunning(name), "\(name) restarted or died") }
    }
}
