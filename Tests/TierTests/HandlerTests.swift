import Clients
import EmbeddingServing
import EncoderService
import Foundation
import HistoryEncoding
import Model
import ScorerService
import ServiceRuntime
import TestSupport
import Testing
import Wire
import ZeroMQ

/// The encoder's and scorer's handlers, fed directly (in-process, with a real embedding-server
/// on a loopback port): every bad request gets an error reply, valid ones match the model.
@Suite(.serialized) struct HandlerTests {
    static let model = Fixtures.randomModel(items: 300, dim: 16, heads: 2, layers: 2, maxHistory: 20, seed: 8)

    /// Runs `shards` embedding-server loops, each on its own thread, for the duration of `body`,
    /// which gets their endpoints in shard order.
    static func withEmbeddingServers(
        shards: Int, model: ModelFile = HandlerTests.model, _ body: ([String], ZMQContext) throws -> Void
    ) throws {
        let context = ZMQContext()
        let endpoints = try FreePorts.take(shards).map { "tcp://127.0.0.1:\($0)" }
        let stop = StopFlag()
        var threads: [Thread] = []
        for (index, endpoint) in endpoints.enumerated() {
            var configuration = EmbeddingServerConfiguration()
            configuration.bind = endpoint
            let shard = EmbeddingShard(table: model.itemTable!, shard: index, shards: shards, modelVersion: model.config.version)
            let server = EmbeddingServer(
                handler: EmbeddingRequestHandler(shard: shard, limits: Limits()), configuration: configuration,
                logger: .init(label: "test"))
            let thread = Thread { try? server.run(context: context, stop: stop) }
            thread.start()
            threads.append(thread)
        }
        defer {
            stop.stop()
            for thread in threads { while !thread.isFinished { usleep(1_000) } }
        }
        try body(endpoints, context)
    }

    static func withEmbeddingServer(model: ModelFile = HandlerTests.model, _ body: (String, ZMQContext) throws -> Void) throws {
        try withEmbeddingServers(shards: 1, model: model) { try body($0[0], $1) }
    }

    @Test func shardedLookupsRouteByIdAndReassembleInOrder() throws {
        try Self.withEmbeddingServers(shards: 3) { endpoints, context in
            let client = try EmbeddingClient(context: context, endpoints: endpoints)
            let ids: [Int64] = [299, 0, 1, 2, 3, 150, 0, 299, 7]
            guard case .success(let rows) = client.lookup(ids, deadline: .after(milliseconds: 3_000)) else {
                Issue.record("sharded lookup failed")
                return
            }
            let table = Self.model.itemTable!
            let expected = ids.flatMap { Array(UnsafeBufferPointer(start: table.row(Int($0)), count: 16)) }
            #expect(rows == expected)
            // Each shard holds only its third of the table.
            let shard = EmbeddingShard(table: table, shard: 1, shards: 3, modelVersion: "v")
            #expect(shard.ownedRows == 100 && shard.owns(1) && !shard.owns(3))
            guard case .failure(let error) = client.lookup([4, 300, 301], deadline: nil) else {
                Issue.record("unknown ids were not reported")
                return
            }
            #expect(error.code == .notFound)
        }
    }

    static func error(_ bytes: [UInt8]) -> ServiceError? {
        if let reply = try? bytes.withUnsafeBytes({ try ScoreReply(decoding: $0) }), case .failure(let e) = reply.result { return e }
        return nil
    }

    @Test func encoderRejectsBadRequestsAndCachesGoodOnes() throws {
        try Self.withEmbeddingServer { endpoint, context in
            let handler = EncoderHandler(
                model: SequenceModel(file: Self.model), embeddings: try EmbeddingClient(context: context, endpoints: [endpoint]),
                cache: EncodingCache(capacity: 8), limits: Limits())
            func result(_ bytes: [UInt8]) -> Result<EncodedHistory, ServiceError>? {
                let reply = bytes.withUnsafeBytes { handler.handle($0) }
                return (try? reply.withUnsafeBytes { try EncodeReply(decoding: $0) })?.result
            }
            func request(_ history: [Int64], deadline: Deadline? = nil) -> [UInt8] {
                EncodeRequest(header: RequestHeader(requestID: 1, deadline: deadline), userID: "u", history: history).encoded()
            }
            #expect(result([0xFF, 0x01])?.errorCode == .badRequest)
            #expect(result(request([]))?.errorCode == .badRequest)
            #expect(result(request([1, 400]))?.errorCode == .notFound)
            #expect(result(request([1], deadline: .after(milliseconds: -1)))?.errorCode == .deadlineExceeded)
            let history: [Int64] = Array(0..<30)  // longer than maxHistory: truncated to the last 20
            guard case .success(let first)? = result(request(history)) else { Issue.record("valid encode failed"); return }
            let expected = LocalRecommender(file: Self.model).encode(history: history, workspace: Workspace())
            #expect(first.length == 20 && first.keys == expected.keys && first.values == expected.values)
            let again = try request(history).withUnsafeBytes { handler.handle($0) }.withUnsafeBytes { try EncodeReply(decoding: $0) }
            #expect(again.cacheHit)
        }
    }

    @Test func scorerRejectsBadRequests() throws {
        try Self.withEmbeddingServer { endpoint, context in
            let handler = ScorerHandler(
                model: SequenceModel(file: Self.model), embeddings: try EmbeddingClient(context: context, endpoints: [endpoint]),
                limits: Limits(), cacheRows: 50)
            let kv = LocalRecommender(file: Self.model).encode(history: [1, 2, 3], workspace: Workspace())
            let history = EncodedHistory(
                modelVersion: Self.model.config.version, itemCount: 300, layers: kv.layers, length: kv.length, dim: kv.dim, keys: kv.keys,
                values: kv.values)
            func score(_ candidates: CandidateSlice, k: Int32 = 3, history: EncodedHistory = history, deadline: Deadline? = nil) -> [UInt8]
            {
                let request = ScoreRequest(
                    header: RequestHeader(requestID: 2, deadline: deadline), history: history, candidates: candidates, k: k)
                return request.encoded().withUnsafeBytes { handler.handle($0) }
            }
            #expect(Self.error([0xFF].withUnsafeBytes { handler.handle($0) })?.code == .badRequest)
            #expect(Self.error(score(.ids([1, 999])))?.code == .notFound)
            #expect(Self.error(score(.range(0..<301)))?.code == .badRequest)
            #expect(Self.error(score(.ids([1]), k: 0))?.code == .badRequest)
            #expect(Self.error(score(.ids([1]), deadline: .after(milliseconds: -1)))?.code == .deadlineExceeded)
            var other = history
            other.modelVersion = "someone-else"
            #expect(Self.error(score(.ids([1]), history: other))?.code == .modelVersionUnavailable)
            // Duplicates and more candidates than the 50-row cache: still exactly the model's scores.
            let ids: [Int64] = Array(0..<120) + [5, 5, 7]
            let reply = try score(.ids(ids), k: 200).withUnsafeBytes { try ScoreReply(decoding: $0) }
            guard case .success(let slice) = reply.result else { Issue.record("valid score failed: \(reply)"); return }
            let expected = LocalRecommender(file: Self.model).recommend(
                history: [1, 2, 3], candidates: ids, k: 200, workspace: Workspace())
            #expect(slice.ranked.items == expected.map(\.id))
        }
    }
}

extension Result where Success == EncodedHistory, Failure == ServiceError {
    var errorCode: ServiceError.Code? {
        if case .failure(let error) = self { error.code } else { nil }
    }
}

@Suite struct EnvironmentArgumentsTests {
    @Test func environmentFillsFlagsTheCommandLineDidNotGive() {
        let merged = EnvironmentArguments.merged(
            arguments: ["--model", "m.safetensors", "--threads=2"],
            environment: ["RECSERVE_CACHE_ROWS": "5000", "RECSERVE_THREADS": "8", "RECSERVE_MODEL": "other", "HOME": "/root"])
        #expect(merged == ["--model", "m.safetensors", "--threads=2", "--cache-rows", "5000"])
    }
}
