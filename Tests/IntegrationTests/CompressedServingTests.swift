import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Compressed tables served by real processes: every format's rows come back from a running
/// embedding-server exactly as the table decodes them, pushes to a compressed table are refused (a QR table on one shard trains),
/// and a suite swaps from an f32 model to every other format under load without losing a request.
@Suite(.serialized) struct CompressedServingTests {
    static let v1 = Fixtures.randomModel(items: 600, dim: 32, heads: 2, layers: 2, maxHistory: 50, seed: 41)
    static let v2 = Fixtures.randomModel(items: 600, dim: 32, heads: 2, layers: 2, maxHistory: 50, seed: 42)

    @Test(arguments: TableFormat.allCases.filter { $0 != .f32 })
    func aRunningEmbeddingServerReturnsTheDecodedRows(format: TableFormat) throws {
        let cluster = try ServiceCluster(model: Self.v1)
        let table = CompressedTable.compress(Self.v1.itemTable!, format: format)
        try ModelFile.save(path: cluster.modelPath, config: Self.v1.config, dense: Self.v1.dense, table: table)
        let push = try FreePorts.take(1)[0]
        try cluster.start(
            "embedding-server",
            ["--model", cluster.modelPath, "--bind", cluster.embedding, "--push-bind", "tcp://127.0.0.1:\(push)", "--log-level", "warning"])
        let context = ZMQContext()
        let client = try EmbeddingClient(context: context, endpoints: [cluster.embedding], defaultTimeoutMilliseconds: 5_000)
        let ids: [Int64] = [0, 599, 17, 17, 300]
        let rows = try client.lookup(ids, deadline: .after(milliseconds: 5_000)).get()
        var expected = [Float](repeating: 0, count: 32)
        for (index, id) in ids.enumerated() {
            table.decode(row: Int(id), into: &expected)
            #expect(Array(rows[index * 32..<(index + 1) * 32]) == expected, "\(format) row \(id)")
        }
        // A compact lookup gets the table's own row encoding (pruned and QR rows come widened) and
        // widens to the same rows.
        let compact = try client.rows(ids, deadline: .after(milliseconds: 5_000), compact: true).get()
        #expect(compact.encoding == format.rowEncoding ?? .f32)
        #expect(compact.rows == rows, "\(format): compact rows widen to the f32 rows")
        if let encoding = format.rowEncoding { #expect(compact.packed.count == ids.count * encoding.bytesPerRow(dim: 32)) }
        let pusher = try PushClient(context: context, endpoints: ["tcp://127.0.0.1:\(push)"])
        let pushed = pusher.push([3: [Float](repeating: 0.1, count: 32)], timeoutMilliseconds: 5_000)
        if format == .qr {
            // A QR table on one shard trains its components (QuotientRemainderPushTests checks the values).
            #expect((try? pushed.get()) == 1)
            #expect(try client.lookup([3], deadline: .after(milliseconds: 5_000)).get() != expected)
            return
        }
        // Other compressed tables are read-only: a push is refused with the reason, nothing changes.
        let refused = pushed
        guard case .failure(let error) = refused else { Issue.record("a push to a \(format) table was applied"); return }
        #expect(error.message.contains("read-only"), "\(error)")
        table.decode(row: 3, into: &expected)
        #expect(try client.lookup([3], deadline: .after(milliseconds: 5_000)).get() == expected)
    }

    /// Under one steady load, the suite swaps from f32 to every other format (back to f32 between
    /// them), and each format's served answers are that model's, computed locally from its
    /// widened table: no request fails at any swap.
    @Test func swapFromF32ToEveryFormatUnderLoadLosesNoRequest() throws {
        let cluster = try ServiceCluster(
            model: Self.v1, scorers: 2, replicaArguments: ["--reload-interval-ms", "100", "--activation-delay-ms", "300"],
            embeddingArguments: ["--reload-interval-ms", "100"])
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")
        let history = Fixtures.randomIDs(count: 40, below: 600, seed: 99)
        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "check", history: history, allItems: true, k: 10)
        /// Writes `table` as `version` and waits until the gateway answers with it.
        func swap(to table: CompressedTable, model: ModelFile, version: String) throws -> RecommendReply? {
            var config = model.config
            config.version = version
            try ModelFile.save(path: cluster.modelPath, config: config, dense: model.dense, table: table)
            for _ in 0..<200 {
                let reply = try client.recommend(request, timeoutMilliseconds: 3_000)
                if reply.modelVersion == version { return reply }
                usleep(50_000)
            }
            return nil
        }

        let load = HotSwapTests.Load(gateway: cluster.gateway, items: 600)
        usleep(500_000)
        var served: [TableFormat: Bool] = [:]
        for format in TableFormat.allCases where format != .f32 {
            let f32 = CompressedTable.compress(Self.v1.itemTable!, format: .f32)
            try #require(try swap(to: f32, model: Self.v1, version: "f32-before-\(format.rawValue)") != nil, "f32 not served")
            let table = CompressedTable.compress(Self.v2.itemTable!, format: format)
            let reply = try #require(try swap(to: table, model: Self.v2, version: "v2-\(format.rawValue)"), "\(format) not served")
            let widened = ModelFile(config: Self.v2.config, dense: Self.v2.dense, itemTable: table.dequantized())
            let expected = LocalRecommender(file: widened).recommend(
                history: history, candidates: Array(0..<600), k: 10, workspace: Workspace())
            served[format] = reply.ranked.items == expected.map(\.id)
        }
        let (versions, failures) = load.stop()
        #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(3))\n\(cluster.logs())")
        #expect(served.count == TableFormat.allCases.count - 1 && served.values.allSatisfy { $0 }, "\(served)")
        #expect(Set(versions).count >= 2 * served.count, "the load saw the versions: \(Set(versions).sorted())")
        for name in cluster.names { #expect(cluster.isRunning(name), "\(name) restarted or died") }
    }
}
