import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Encoders and scorers started with `--dense int8` serve exactly the in-process int8 pipeline's
/// answer, through the one-hop route and through the encoder with two scorer slices; on a CPU
/// without int8 dot-product instructions they fall back to f32 and serve its answer.
@Suite(.serialized) struct Int8ServingTests {
    static let model = Fixtures.randomModel(items: 600, dim: 32, heads: 2, layers: 2, maxHistory: 50, seed: 51)

    @Test(arguments: [1, 2])
    func int8ReplicasServeTheInProcessInt8Answer(scorers: Int) throws {
        let mode = DenseMode.available(.int8).mode
        let cluster = try ServiceCluster(
            model: Self.model, scorers: scorers, gatewayArguments: ["--min-slice", "100"], replicaArguments: ["--dense", "int8"])
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: scorers), "cluster did not start:\n\(cluster.logs())")
        let local = LocalRecommender(model: SequenceModel(file: Self.model, dense: mode), itemTable: Self.model.itemTable!)
        let f32 = LocalRecommender(file: Self.model)
        var differsFromF32 = false
        for seed in 0..<5 {
            let history = Fixtures.randomIDs(count: 30, below: 600, seed: 200 + UInt64(seed))
            let request = RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "u\(seed)", history: history, allItems: true, k: 10)
            let reply = try client.recommend(request, timeoutMilliseconds: 5_000)
            #expect(reply.error == nil, "\(String(describing: reply.error))")
            let expected = local.recommend(history: history, candidates: Array(0..<600), k: 10, workspace: Workspace())
            #expect(reply.ranked.items == expected.map(\.id), "seed \(seed)")
            for (served, want) in zip(reply.ranked.scores, expected.map(\.score)) {
                #expect(abs(served - want) <= 1e-4 * max(1, abs(want)))
            }
            let plain = f32.recommend(history: history, candidates: Array(0..<600), k: 10, workspace: Workspace())
            differsFromF32 = differsFromF32 || plain.map(\.score) != expected.map(\.score)
        }
        #expect(differsFromF32 == (mode == .int8), "the int8 path gives other scores than f32; the fallback gives f32's")
    }
}
