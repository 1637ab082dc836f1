import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// The real executables on loopback: answers match the in-process model, and losing a scorer
/// loses no request.
@Suite(.serialized) struct ClusterTests {
    static let model = Fixtures.randomModel(items: 3_000, dim: 32, heads: 2, layers: 2, maxHistory: 100, seed: 21)

    @Test func topKMatchesInProcessModelAndSurvivesAScorerKill() throws {
        let cluster = try ServiceCluster(model: Self.model, scorers: 2)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")
        let reference = LocalRecommender(file: Self.model)
        let workspace = Workspace()

        for seed in 0..<8 {
            let history = Fixtures.randomIDs(count: 20 + seed * 17, below: 3_000, seed: UInt64(seed))
            let candidates = Fixtures.randomIDs(count: 400, below: 3_000, seed: UInt64(seed) + 50)
            let request = RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "user-\(seed)", history: history, candidates: candidates, k: 20)
            let reply = try client.recommend(request, timeoutMilliseconds: 5_000)
            try #require(reply.error == nil, "\(reply.error!)\n\(cluster.logs())")
            // The gateway scores each distinct candidate once (random ids repeat).
            var seen = Set<Int64>()
            let distinct = candidates.filter { seen.insert($0).inserted }
            let expected = reference.recommend(history: history, candidates: distinct, k: 20, workspace: workspace)
            #expect(reply.ranked.items == expected.map(\.id))
            for (got, want) in zip(reply.ranked.scores, expected.map(\.score)) {
                #expect(abs(got - want) <= 1e-4 * max(1, abs(want)))
            }
            #expect(reply.scorerSlices == 2)
            #expect(reply.modelVersion == Self.model.config.version)
        }

        // "All items": every id 0..<3000 scored across both scorers.
        let all = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "all", history: [5, 6, 7], allItems: true, k: 5)
        let allReply = try client.recommend(all, timeoutMilliseconds: 5_000)
        let allExpected = reference.recommend(history: [5, 6, 7], candidates: Array(0..<3_000), k: 5, workspace: workspace)
        #expect(allReply.ranked.items == allExpected.map(\.id))

        // Kill one scorer without warning; every following request must still succeed while the
        // gateway notices and expires it (heartbeat 250 ms x 4).
        cluster.kill("scorer-0")
        var failures: [String] = []
        var sawOneSlice = false
        let until = Date().addingTimeInterval(3)
        var sent = 0
        while Date() < until {
            let history = Fixtures.randomIDs(count: 30, below: 3_000, seed: UInt64(1_000 + sent))
            let request = RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "after-kill-\(sent)", history: history,
                candidates: Array(0..<400), k: 10)
            sent += 1
            let reply = try client.recommend(request, timeoutMilliseconds: 5_000)
            if let error = reply.error { failures.append("\(error)") }
            if reply.scorerSlices == 1 { sawOneSlice = true }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(sent) requests failed after the kill: \(failures.prefix(3))\n\(cluster.logs())")
        #expect(sent > 10)
        #expect(sawOneSlice, "the gateway never dropped the dead scorer")
        #expect(cluster.isRunning("gateway") && cluster.isRunning("scorer-1") && cluster.isRunning("history-encoder"))
    }

    /// With one scorer, a request is one slice: the scorer encodes the history itself (one round
    /// trip) and must answer exactly as the in-process model does, from its encoding cache the
    /// second time.
    @Test func theSingleSliceRouteMatchesInProcessModel() throws {
        let cluster = try ServiceCluster(model: Self.model, scorers: 1)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 1), "cluster did not start:\n\(cluster.logs())")
        let reference = LocalRecommender(file: Self.model)
        let workspace = Workspace()
        for seed in 0..<4 {
            let history = Fixtures.randomIDs(count: 30 + seed * 25, below: 3_000, seed: UInt64(seed))
            let candidates = Array(Set(Fixtures.randomIDs(count: 300, below: 3_000, seed: UInt64(seed) + 50))).sorted()
            let expected = reference.recommend(history: history, candidates: candidates, k: 10, workspace: workspace)
            for attempt in 0..<2 {
                let request = RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: "one-hop-\(seed)", history: history,
                    candidates: candidates, k: 10)
                let reply = try client.recommend(request, timeoutMilliseconds: 5_000)
                try #require(reply.error == nil, "\(reply.error!)\n\(cluster.logs())")
                #expect(reply.ranked.items == expected.map(\.id))
                for (got, want) in zip(reply.ranked.scores, expected.map(\.score)) {
                    #expect(abs(got - want) <= 1e-4 * max(1, abs(want)))
                }
                #expect(reply.scorerSlices == 1 && reply.historyCacheHit == (attempt == 1))
                #expect(reply.timings.contains { $0.tier == "scorer_encode" } && !reply.timings.contains { $0.tier == "encode" })
            }
        }
    }
}
