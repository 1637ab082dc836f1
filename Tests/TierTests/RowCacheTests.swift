import Caching
import Clients
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// The row cache the scorer and encoder gather rows through: every gathered row must equal the
/// embedding-server's, whatever mix of hits, misses, repeats and evictions produced it.
@Suite struct RowCacheTests {
    static let dim = 16

    func expected(_ ids: [Int64]) -> [Float] {
        let table = HandlerTests.model.itemTable!
        return ids.flatMap { Array(UnsafeBufferPointer(start: table.row(Int($0)), count: Self.dim)) }
    }

    func gather(_ cache: RowCache, _ ids: [Int64], _ client: EmbeddingClient) -> (rows: [Float], misses: Result<Int, ServiceError>) {
        var rows = [Float](repeating: .nan, count: ids.count * Self.dim)
        let misses = rows.withUnsafeMutableBufferPointer {
            cache.gather(ids[...], into: $0.baseAddress!, embeddings: client, deadline: .after(milliseconds: 3_000))
        }
        return (rows, misses)
    }

    @Test func hitsMissesRepeatsAndEvictionsAllReturnTheServersRows() throws {
        try HandlerTests.withEmbeddingServer { endpoint, context in
            let client = try EmbeddingClient(context: context, endpoints: [endpoint])
            let cache = RowCache(capacity: 4, dim: Self.dim, version: HandlerTests.model.config.version)
            let first: [Int64] = [5, 9, 5, 120]
            let (rows, misses) = gather(cache, first, client)
            #expect(rows == expected(first))
            #expect(try misses.get() == 3)
            // All cached now: no lookup.
            #expect(try gather(cache, [120, 9, 5], client).misses.get() == 0)
            // Capacity 4: after the hits on 9, 120, 5 (in that order), inserting 7 fills the last slot
            // and inserting 8 evicts the least recently used, 9.
            let second: [Int64] = [7, 9, 8, 120, 5]
            let (rows2, misses2) = gather(cache, second, client)
            #expect(rows2 == expected(second))
            #expect(try misses2.get() == 2)
            #expect(cache.count == 4)
            let (rows3, misses3) = gather(cache, [9, 8], client)
            #expect(rows3 == expected([9, 8]))
            #expect(try misses3.get() == 1)
        }
    }

    @Test func anUnknownIdFailsTheGatherWithTheServersError() throws {
        try HandlerTests.withEmbeddingServer { endpoint, context in
            let client = try EmbeddingClient(context: context, endpoints: [endpoint])
            let cache = RowCache(capacity: 8, dim: Self.dim, version: HandlerTests.model.config.version)
            guard case .failure(let error) = gather(cache, [1, 10_000], client).misses else {
                Issue.record("an unknown id was gathered")
                return
            }
            #expect(error.code == .notFound)
        }
    }

    @Test func versionsGetTheirOwnCacheAndDroppedVersionsLoseTheirs() {
        let caches = RowCaches(capacity: 4)
        let a = caches.cache(version: "a", dim: 2, held: ["a"])
        #expect(caches.cache(version: "a", dim: 2, held: ["a", "b"]) === a)
        let b = caches.cache(version: "b", dim: 2, held: ["a", "b"])
        #expect(b !== a && b.version == "b")
        _ = caches.cache(version: "c", dim: 2, held: ["b", "c"])
        #expect(caches.cache(version: "a", dim: 2, held: ["a", "b", "c"]) !== a)
    }

    /// Served from an int8 row-wise table, the cache keeps rows as their 72-byte packed form (d 64:
    /// codes, scale, bias) and gathers exactly the rows the table decodes to.
    @Test func anInt8TableIsCachedCompactAndGatheredExactly() throws {
        let model = Fixtures.randomModel(items: 300, dim: 64, heads: 2, layers: 1, maxHistory: 10, seed: 12)
        let table = CompressedTable.compress(model.itemTable!, format: .int8Rowwise)
        let server = try InProcessEmbeddingServer(model: model, learningRate: 0.1, table: table)
        let client = try EmbeddingClient(context: ZMQContext(), endpoints: [server.lookupEndpoint])
        let cache = RowCache(capacity: 50, dim: 64, version: model.config.version)
        let ids: [Int64] = [3, 299, 3, 150, 7]
        for round in 0..<2 {
            var rows = [Float](repeating: .nan, count: ids.count * 64)
            let misses = rows.withUnsafeMutableBufferPointer {
                cache.gather(ids[...], into: $0.baseAddress!, embeddings: client, deadline: .after(milliseconds: 3_000))
            }
            #expect(try misses.get() == (round == 0 ? 4 : 0))
            var expected = [Float](repeating: 0, count: 64)
            for (i, id) in ids.enumerated() {
                table.decode(row: Int(id), into: &expected)
                #expect(Array(rows[(i * 64)..<((i + 1) * 64)]) == expected, "round \(round), item \(id)")
            }
        }
        #expect(cache.encoding == .int8Rowwise && cache.byteCount == 50 * 72)
    }
}
