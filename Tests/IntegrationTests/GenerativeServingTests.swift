import Clients
import Foundation
import Generative
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Generative retrieval through the real executables: encode once, generate with beam search on
/// the generator tier, re-select with the scorers; the same answer as the in-process pipeline.
@Suite(.serialized) struct GenerativeServingTests {
    static let model: ModelFile = {
        var model = Fixtures.randomModel(items: 600, dim: 16, heads: 2, layers: 2, maxHistory: 20, seed: 31)
        model.semanticIDs = ResidualQuantizer.randomIDs(count: 600, levels: 3, codesPerLevel: 16, seed: 31)
        model.generator = GeneratorWeights.random(config: model.config, levels: 3, codes: 16, seed: 32)
        return model
    }()

    static func ask(_ client: GatewayClient, history: [Int64], retrieval: Retrieval, beam: UInt32, allItems: Bool = false) throws
        -> RecommendReply
    {
        try client.recommend(
            RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "g", history: history, allItems: allItems, k: 10,
                retrieval: retrieval, beam: beam), timeoutMilliseconds: 5_000)
    }

    @Test func generationThenReselectionMatchesTheInProcessPipeline() throws {
        let cluster = try ServiceCluster(model: Self.model, scorers: 2, gatewayArguments: ["--generative-above", "500"], generators: 1)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")
        let reference = LocalRecommender(file: Self.model)
        let generator = Generator(config: Self.model.config, weights: Self.model.generator!, ids: Self.model.semanticIDs!)
        let workspace = Workspace()
        for seed in 0..<4 {
            let history = Fixtures.randomIDs(count: 5 + seed * 4, below: 600, seed: UInt64(seed))
            let reply = try Self.ask(client, history: history, retrieval: .generative, beam: 200)
            try #require(reply.error == nil, "\(reply.error!)\n\(cluster.logs())")
            let kv = reference.encode(history: history, workspace: workspace)
            let generated = generator.beamSearch(history: kv, width: 200).map { Int64($0.item) }
            let logits = reference.logits(history: kv, candidates: generated, workspace: workspace)
            let expected = zip(generated, logits).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(10)
            #expect(reply.retrieval == "generative" && reply.generated == 200 && reply.scorerSlices == 2)
            #expect(reply.ranked.items == expected.map(\.0))
            for (got, want) in zip(reply.ranked.scores, expected.map(\.1)) { #expect(abs(got - want) <= 1e-4 * max(1, abs(want))) }
            #expect(reply.timings.contains { $0.tier == "generator_compute" })
        }
        // "All items" over a catalog above --generative-above is generated; asking for all items explicitly is not.
        let defaulted = try Self.ask(client, history: [1, 2, 3], retrieval: .default, beam: 0, allItems: true)
        #expect(defaulted.error == nil && defaulted.retrieval == "generative" && defaulted.generated == 256)
        let everything = try Self.ask(client, history: [1, 2, 3], retrieval: .allItems, beam: 0)
        #expect(everything.error == nil && everything.retrieval == "all_items" && everything.generated == 0)
        // Too wide a beam is refused by the gateway before any work.
        let wide = try Self.ask(client, history: [1, 2], retrieval: .generative, beam: 513)
        #expect(wide.error?.code == .badRequest && wide.error?.message.contains("--max-beam") == true)
    }

    @Test func aModelWithoutAGeneratorAnswersWithTheReason() throws {
        let plain = Fixtures.randomModel(items: 300, dim: 16, heads: 2, layers: 1, maxHistory: 20, seed: 33)
        let cluster = try ServiceCluster(model: plain, scorers: 1, generators: 1)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 1), "cluster did not start:\n\(cluster.logs())")
        var reply = try Self.ask(client, history: [1, 2], retrieval: .generative, beam: 10)
        for _ in 0..<50 where reply.error?.message.contains("no live generator") == true {
            usleep(100_000)  // the generator may still be registering
            reply = try Self.ask(client, history: [1, 2], retrieval: .generative, beam: 10)
        }
        #expect(reply.error?.code == .unavailable)
        #expect(reply.error?.message.contains("no semantic IDs") == true, "\(String(describing: reply.error))")
        cluster.kill("generator-0")
        var gone = try Self.ask(client, history: [1, 2], retrieval: .generative, beam: 10)
        for _ in 0..<50 where gone.error?.message.contains("no live generator") != true {
            usleep(100_000)  // until the gateway expires the dead replica
            gone = try Self.ask(client, history: [1, 2], retrieval: .generative, beam: 10)
        }
        #expect(gone.error?.code == .unavailable && gone.error?.message.contains("no live generator") == true)
    }
}
