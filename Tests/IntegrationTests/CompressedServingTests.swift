import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Compressed tables served by real processes: every format's rows come back from a running
/// embedding-server exactly as the table decodes them, pushes to a compressed table are refused,
/// and a suite swaps from an f32 model to an int8 row-wise one under load without losing a request.
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
        // A compressed table is read-only: a push is refused with the reason, nothing changes.
        let pusher = try PushClient(context: context, endpoints: ["tcp://127.0.0.1:\(push)"])
        let refused = pusher.push([3: [Float](repeating: 0.1, count: 32)], timeoutMilliseconds: 5_000)
        guard case .failure(let error) = refused else { Issue.record("a push to a \(format) table was applied"); return }
        #expect(error.message.contains("read-only"), "\(error)")
        table.decode(row: 3, into: &expected)
        #expect(try client.lookup([3], deadline: .after(milliseconds: 5_000)).get() == expected)
    }

    @Test func swapFromF32ToInt8UnderLoadLosesNoRequest() throws {
        let cluster = try ServiceCluster(
            model: Self.v1, scorers: 2, replicaArguments: ["--reload-interval-ms", "100", "--activation-delay-ms", "1000"],
            embeddingArguments: ["--reload-interval-ms", "100"])
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")

        let load = HotSwapTests.Load(gateway: cluster.gateway, items: 600)
        usleep(800_000)
        let int8 = CompressedTable.compress(Self.v2.itemTable!, format: .int8Rowwise)
        var config = Self.v2.config
        config.version = "test-42-int8"
        try ModelFile.save(path: cluster.modelPath, config: config, dense: Self.v2.dense, table: int8)
        usleep(3_000_000)
        let (versions, failures) = load.stop()
        #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(3))\n\(cluster.logs())")
        #expect(versions.contains(Self.v1.config.version) && versions.suffix(20).allSatisfy { $0 == "test-42-int8" }, "\(Set(versions))")

        // Served answers are exactly the int8 model's, computed locally from the widened table.
        let history = Fixtures.randomIDs(count: 40, below: 600, seed: 99)
        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "check", history: history, allItems: true, k: 10)
        let reply = try client.recommend(request, timeoutMilliseconds: 3_000)
        let widened = ModelFile(config: config, dense: Self.v2.dense, itemTable: int8.dequantized())
        let expected = LocalRecommender(file: widened).recommend(
            history: history, candidates: Array(0..<600), k: 10, workspace: Workspace())
        #expect(reply.modelVersion == "test-42-int8")
        #expect(reply.ranked.items == expected.map(\.id))
        for name in cluster.names { #expect(cluster.isRunning(name), "\(name) restarted or died") }
    }
}
