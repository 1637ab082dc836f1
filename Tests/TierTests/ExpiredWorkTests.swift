import Clients
import Foundation
import Model
import ScorerService
import ServiceRuntime
import TestSupport
import Testing
import Wire

/// Work whose deadline passes is dropped part-way, not finished: a slice that cannot be answered in
/// time must not keep a scorer thread busy for the rest of it.
@Suite struct ExpiredWorkTests {
    static let model = Fixtures.randomModel(items: 20_000, dim: 64, heads: 2, layers: 2, maxHistory: 200, seed: 12)

    @Test func theScorerDropsASliceBetweenMicroBatchesOnceItsDeadlinePasses() throws {
        try HandlerTests.withEmbeddingServer(model: Self.model) { endpoint, context in
            let sequenceModel = SequenceModel(file: Self.model)
            let handler = ScorerHandler(
                model: sequenceModel, embeddings: try EmbeddingClient(context: context, endpoints: [endpoint]), limits: Limits(),
                cacheRows: 20_000)
            let table = Self.model.itemTable!
            let history = (0..<200).flatMap { Array(UnsafeBufferPointer(start: table.row($0 * 7), count: 64)) }
            let kv = history.withUnsafeBufferPointer {
                sequenceModel.encodeHistory(itemRows: $0.baseAddress!, length: 200, workspace: Workspace())
            }
            let encoded = EncodedHistory(
                modelVersion: Self.model.config.version, itemCount: 20_000, layers: kv.layers, length: kv.length, dim: kv.dim,
                keys: kv.keys, values: kv.values)
            func score(deadline: Deadline) -> Result<ScoredSlice, ServiceError>? {
                let request = ScoreRequest(
                    header: RequestHeader(requestID: 3, deadline: deadline), history: encoded, candidates: .range(0..<20_000), k: 5)
                let reply = request.encoded().withUnsafeBytes { handler.handle($0) }
                return (try? reply.withUnsafeBytes { try ScoreReply(decoding: $0) })?.result
            }

            // A generous deadline: the whole slice, three times; the deadline below comes from the
            // fastest run. (The first fills the row cache; a cold run's time, or one slowed by the
            // suites running beside it, could be more than four times the next run's, which then
            // finished inside "a quarter".)
            var whole = Double.infinity
            for _ in 0..<3 {
                let started = Date()
                guard case .success = score(deadline: .after(milliseconds: 60_000)) else {
                    Issue.record("the slice failed with a generous deadline")
                    return
                }
                whole = min(whole, Date().timeIntervalSince(started))
            }

            // A deadline a quarter of the way in: dropped between micro-batches, and counted.
            let quarter = Int(max(whole / 4 * 1_000, 3))
            guard case .failure(let error) = score(deadline: .after(milliseconds: quarter)) else {
                Issue.record("a slice whose deadline passed part-way was finished anyway")
                return
            }
            #expect(error.code == .deadlineExceeded)
            #expect(error.message.contains("dropped this slice after"), "\(error.message)")
            #expect(!error.message.contains("after 0 of"), "\(error.message)")
            #expect(!error.message.contains("after 20000 of"), "\(error.message)")
            #expect(handler.droppedExpired == 1)
        }
    }
}
