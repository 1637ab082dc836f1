import Broker
import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// 10,000 random and mutated messages to each network-facing endpoint: no crash, a reply to every
/// one, and correct answers to the valid requests sent in between.
@Suite(.serialized) struct HostileTrafficTests {
    static let model = Fixtures.randomModel(items: 400, dim: 16, heads: 2, layers: 1, maxHistory: 30, seed: 12)
    static let messages = 10_000

    /// Random bytes, or a valid message with a few bytes changed, or a valid message cut short;
    /// sometimes as several frames.
    static func hostile(from seeds: [[UInt8]], using rng: inout SeededRandom) -> [[UInt8]] {
        var bytes: [UInt8]
        switch Int.random(in: 0..<3, using: &rng) {
        case 0:
            bytes = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1:
            bytes = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        default:
            bytes = seeds.randomElement(using: &rng)!
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
        }
        return Int.random(in: 0..<10, using: &rng) == 0 ? [bytes, [1, 2, 3]] : [bytes]
    }

    static func exchange(_ socket: Socket, _ parts: [[UInt8]]) throws -> [Frame]? {
        try socket.send(parts: parts)
        var poller = Poller([socket])
        guard try poller.poll(timeoutMilliseconds: 10_000)[0] else { return nil }
        return try socket.receiveMessage(dontWait: true)
    }

    @Test func gatewayAndEmbeddingServerAnswerEverything() throws {
        let cluster = try ServiceCluster(model: Self.model, scorers: 1)
        let context = ZMQContext()
        let client = try GatewayClient(context: context, endpoint: cluster.gateway)
        try #require(client.waitUntilServing(), "cluster did not start:\n\(cluster.logs())")
        let reference = LocalRecommender(file: Self.model)
        var rng = SeededRandom(seed: 2026)

        // Gateway client endpoint.
        let gateway = try Socket(context, .dealer)
        try gateway.connect(cluster.gateway)
        let recommendSeeds = (0..<8).map { seed in
            RecommendRequest(
                header: RequestHeader(requestID: UInt64(seed), deadline: .after(milliseconds: 60_000)), userID: "fuzz",
                history: Fixtures.randomIDs(count: 5 + seed, below: 400, seed: UInt64(seed)),
                candidates: Fixtures.randomIDs(count: 50, below: 400, seed: UInt64(seed) + 9), k: 5
            ).encoded()
        }
        var gatewayErrors = 0
        for index in 0..<Self.messages {
            let reply = try Self.exchange(gateway, Self.hostile(from: recommendSeeds, using: &rng))
            // An empty first frame reads as a REQ delimiter, so the reply body is the last frame.
            let decoded = try #require(
                reply.flatMap { try? $0.last?.withUnsafeBytes { try RecommendReply(decoding: $0) } },
                "message \(index) got no reply\n\(cluster.logs())")
            if decoded.error != nil { gatewayErrors += 1 }
            if index % 500 == 0 {
                let history = Fixtures.randomIDs(count: 12, below: 400, seed: UInt64(index))
                let valid = RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: "valid", history: history, allItems: true, k: 8)
                let answer = try client.recommend(valid, timeoutMilliseconds: 5_000)
                let expected = reference.recommend(history: history, candidates: Array(0..<400), k: 8, workspace: Workspace())
                #expect(answer.error == nil && answer.ranked.items == expected.map(\.id), "valid request after \(index) hostile ones")
            }
        }
        #expect(gatewayErrors > Self.messages / 2, "most hostile messages should be refused")

        // Embedding-server.
        let embedding = try Socket(context, .dealer)
        try embedding.connect(cluster.embedding)
        let lookupSeeds = (0..<8).map { seed in
            LookupRequest(
                header: RequestHeader(requestID: 1, deadline: nil), ids: Fixtures.randomIDs(count: 20, below: 400, seed: UInt64(seed))
            ).encoded()
        }
        for index in 0..<Self.messages {
            let reply = try Self.exchange(embedding, Self.hostile(from: lookupSeeds, using: &rng))
            #expect(
                reply.flatMap { try? $0.last?.withUnsafeBytes { try LookupReply(decoding: $0) } } != nil, "lookup \(index) got no reply")
            if index % 500 == 0 {
                let ids: [Int64] = [3, 1, 3]
                let answer = try #require(
                    try Self.exchange(embedding, [LookupRequest(header: RequestHeader(requestID: 9, deadline: nil), ids: ids).encoded()]))
                let rows = try answer[0].withUnsafeBytes { try LookupReply(decoding: $0) }
                let table = Self.model.itemTable!
                #expect((try? rows.result.get().rows) == ids.flatMap { Array(UnsafeBufferPointer(start: table.row(Int($0)), count: 16)) })
            }
        }

        // Gateway worker endpoint: anything that is not the worker protocol is told to go away.
        let impostor = try Socket(context, .dealer)
        try impostor.connect(cluster.workers)
        let workerSeeds = [WorkerProtocol.header + [4], WorkerProtocol.header + [1] + Array("scorer".utf8)]
        for index in 0..<Self.messages {
            var parts = Self.hostile(from: workerSeeds, using: &rng)
            if parts[0].count >= 4 && parts[0].starts(with: WorkerProtocol.header) {
                parts = [WorkerProtocol.header, Array(parts[0].dropFirst(4))]
            }
            let reply = try Self.exchange(impostor, parts)
            #expect(
                reply?.last?.bytes == [WorkerProtocol.Command.disconnect.rawValue], "worker-endpoint message \(index) got no DISCONNECT")
        }
        #expect(client.waitUntilServing(seconds: 5))
        for name in cluster.names { #expect(cluster.isRunning(name), "\(name) died:\n\(cluster.logs())") }
    }
}
