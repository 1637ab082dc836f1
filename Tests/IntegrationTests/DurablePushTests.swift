import Clients
import EmbeddingServing
import Foundation
import Model
import ParameterServer
import TestSupport
import Testing
import Wire
import ZeroMQ

/// The embedding-server's promise to trainers: an acknowledged push survives SIGKILL, and a damaged
/// log tail is reported and cut while the intact prefix is kept. Real processes, real files.
@Suite(.serialized) struct DurablePushTests {
    static let items = 120
    static let dim = 8
    static let model = Fixtures.randomModel(items: items, dim: dim, heads: 2, layers: 1, maxHistory: 10, seed: 31)

    /// The same pushes, applied in-process to a private copy of the table: what the server must hold.
    struct Reference {
        let shard: EmbeddingShard
        let optimizer: RowWiseAdagrad

        init() {
            let table = Tensor(shape: [DurablePushTests.items, DurablePushTests.dim], values: DurablePushTests.model.itemTable!.array)
            shard = EmbeddingShard(table: table, shard: 0, shards: 1, modelVersion: DurablePushTests.model.config.version)
            optimizer = RowWiseAdagrad(rows: DurablePushTests.items, learningRate: 0.05)
        }

        func apply(_ rows: [Int64: [Float]]) {
            let ids = Array(rows.keys)
            _ = optimizer.apply(ids, gradients: ids.flatMap { rows[$0]! }, to: shard)
        }

        var all: [Float] { try! shard.lookup((0..<Int64(DurablePushTests.items)).map { $0 }).get() }
    }

    /// A push of a few random rows, deterministic in `index`.
    static func push(_ index: Int) -> [Int64: [Float]] {
        var random = SeededRandom(seed: UInt64(1_000 + index))
        var rows: [Int64: [Float]] = [:]
        for _ in 0..<5 {
            rows[Int64(random.next() % UInt64(items))] = (0..<dim).map { _ in random.normal() }
        }
        return rows
    }

    /// How many values differ (bit for bit: replay copies rows, so nothing may drift).
    static func differingValues(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).count { $0 != $1 } : max(a.count, b.count)
    }

    struct Server {
        let lookup: String
        let push: String
        let state: String
        let arguments: [String]
    }

    func server(_ cluster: ServiceCluster, fsyncIntervalMs: Int, snapshotIntervalS: Int) throws -> Server {
        let ports = try FreePorts.take(2)
        let (lookup, push, state) = ("tcp://127.0.0.1:\(ports[0])", "tcp://127.0.0.1:\(ports[1])", cluster.directory + "/state")
        return Server(
            lookup: lookup, push: push, state: state,
            arguments: [
                "--model", cluster.modelPath, "--bind", lookup, "--push-bind", push, "--state-dir", state,
                "--fsync-interval-ms", "\(fsyncIntervalMs)", "--snapshot-interval-s", "\(snapshotIntervalS)", "--reload-interval-ms", "0",
            ])
    }

    /// Every row, once the server answers lookups.
    func rows(at endpoint: String, context: ZMQContext, cluster: ServiceCluster) throws -> [Float] {
        let client = try EmbeddingClient(context: context, endpoints: [endpoint])
        let ids = (0..<Int64(Self.items)).map { $0 }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if case .success(let values) = client.lookup(ids, deadline: .after(milliseconds: 300)) { return values }
        }
        Issue.record("the embedding-server never answered\n\(cluster.logs())")
        throw ServiceError.unavailable("no answer")
    }

    @Test(arguments: [0, 40])
    func acknowledgedPushesSurviveSIGKILL(fsyncIntervalMs: Int) throws {
        let cluster = try ServiceCluster(model: Self.model)
        let server = try server(cluster, fsyncIntervalMs: fsyncIntervalMs, snapshotIntervalS: 1)
        let context = ZMQContext()
        try cluster.start("embedding-server", name: "first", server.arguments)
        _ = try rows(at: server.lookup, context: context, cluster: cluster)

        // 150 acknowledged pushes over more than a second, so a snapshot lands among them and the
        // restart needs the snapshot and the log after it.
        let reference = Reference()
        let pusher = try PushClient(context: context, endpoints: [server.push])
        let pushes = 150
        for index in 0..<pushes {
            let rows = Self.push(index)
            #expect((try? pusher.push(rows).get()) == rows.count, "push \(index) not acknowledged")
            reference.apply(rows)
            usleep(8_000)
        }
        cluster.kill("first")
        #expect(cluster.log("first").contains("snapshot written"), "no snapshot during the pushes\n\(cluster.logs())")

        try cluster.start("embedding-server", name: "second", server.arguments)
        let restored = try rows(at: server.lookup, context: context, cluster: cluster)
        #expect(
            Self.differingValues(restored, reference.all) == 0,
            "rows after restart differ from the \(pushes) acknowledged pushes\n\(cluster.logs())")
        #expect(cluster.log("second").contains("restored pushed rows"))

        // Pushing continues after the restart with the restored optimizer state.
        let more = Self.push(pushes)
        #expect((try? pusher.push(more).get()) == more.count)
        reference.apply(more)
        #expect(Self.differingValues(try rows(at: server.lookup, context: context, cluster: cluster), reference.all) == 0)
    }

    @Test func corruptLastRecordIsReportedAndTheIntactPrefixKept() throws {
        let cluster = try ServiceCluster(model: Self.model)
        // No snapshot during the test: everything is in the log.
        let server = try server(cluster, fsyncIntervalMs: 0, snapshotIntervalS: 3600)
        let context = ZMQContext()
        try cluster.start("embedding-server", name: "first", server.arguments)
        _ = try rows(at: server.lookup, context: context, cluster: cluster)
        let reference = Reference()
        let pusher = try PushClient(context: context, endpoints: [server.push])
        let pushes = 40
        for index in 0..<pushes {
            let rows = Self.push(index)
            #expect((try? pusher.push(rows).get()) == rows.count)
            if index < pushes - 1 { reference.apply(rows) }
        }
        cluster.kill("first")

        // Flip one byte inside the last record's payload.
        let segments = try FileManager.default.contentsOfDirectory(atPath: server.state).filter { $0.hasSuffix(".log") }.sorted()
        let path = server.state + "/" + segments.last!
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        try cluster.start("embedding-server", name: "second", server.arguments)
        let restored = try rows(at: server.lookup, context: context, cluster: cluster)
        let log = cluster.log("second")
        #expect(log.contains("push log damaged") && log.contains("checksum mismatch"), "damage not reported\n\(log)")
        #expect(log.contains("replayed-records=\(pushes - 1)"), "\(log)")
        #expect(
            Self.differingValues(restored, reference.all) == 0, "the intact prefix (\(pushes - 1) pushes) was not kept exactly")
    }
}
