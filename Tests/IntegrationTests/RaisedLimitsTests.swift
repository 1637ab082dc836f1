import Clients
import Foundation
import ServiceRuntime
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Limits raised by flags hold end to end: the gateway lets a request through that only raised
/// limits allow, and the encoder and scorers behind it (given the same flags) serve it.
@Suite(.serialized) struct RaisedLimitsTests {
    static let model = Fixtures.randomModel(items: 3_000, dim: 16, heads: 2, layers: 1, maxHistory: 20, seed: 5)
    static let raised = ["--max-k", "2500", "--max-candidates", "150000", "--max-history", "12000"]

    @Test func raisedLimitsWorkThroughGatewayEncoderAndScorers() throws {
        let defaults = Limits()
        let cluster = try ServiceCluster(model: Self.model, scorers: 2, gatewayArguments: Self.raised, replicaArguments: Self.raised)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")

        // k over the default limit, over all items.
        let allItems = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "big", history: [1, 2, 3], allItems: true, k: 2_500)
        #expect(allItems.k > Int32(defaults.maxK))
        let top = try client.recommend(allItems, timeoutMilliseconds: 20_000)
        #expect(top.error == nil, "\(String(describing: top.error))\n\(cluster.logs())")
        #expect(top.ranked.items.count == 2_500)
        #expect(Set(top.ranked.items).count == 2_500)
        #expect(zip(top.ranked.scores, top.ranked.scores.dropFirst()).allSatisfy { $0 >= $1 })

        // Candidates and history over their default limits (the encoder checks the history).
        let candidates = Fixtures.randomIDs(count: 120_000, below: 3_000, seed: 8)
        let history = Fixtures.randomIDs(count: 11_000, below: 3_000, seed: 9)
        let large = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "big", history: history, candidates: candidates, k: 1_500)
        #expect(candidates.count > defaults.maxCandidates && history.count > defaults.maxHistory)
        let ranked = try client.recommend(large, timeoutMilliseconds: 20_000)
        #expect(ranked.error == nil, "\(String(describing: ranked.error))\n\(cluster.logs())")
        #expect(ranked.ranked.items.count == 1_500)
        #expect(ranked.scorerSlices == 2)
    }

    @Test func aReplicaWithoutTheRaisedLimitRefusesWithAClearError() throws {
        // The gateway allows k 2,500 but the scorers keep the default: the error names the limit.
        let cluster = try ServiceCluster(model: Self.model, scorers: 1, gatewayArguments: Self.raised)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(), "cluster did not start:\n\(cluster.logs())")
        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "big", history: [1, 2, 3], allItems: true, k: 2_500)
        let reply = try client.recommend(request, timeoutMilliseconds: 10_000)
        #expect(reply.error?.code == .badRequest)
        #expect(reply.error?.message.contains("k must be in 1...1000") == true, "\(String(describing: reply.error))")
    }
}
