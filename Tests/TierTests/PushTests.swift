import Clients
import Foundation
import Model
import ServiceRuntime
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Trainers' gradient pushes over real sockets: row-wise Adagrad applied exactly, all-or-nothing.
@Suite(.serialized) struct PushTests {
    static let model = Fixtures.randomModel(items: 50, dim: 4, heads: 2, layers: 1, maxHistory: 10, seed: 17)

    @Test func pushesApplyRowWiseAdagradAndLookupsSeeThem() throws {
        let context = ZMQContext()
        let server = try InProcessEmbeddingServer(model: Self.model, learningRate: 0.1)
        let pusher = try Socket(context, .dealer)
        try pusher.connect(server.pushEndpoint)
        let lookups = try EmbeddingClient(context: context, endpoints: [server.lookupEndpoint])
        func push(_ parts: [[UInt8]]) throws -> PushReply {
            try pusher.send(parts: parts)
            var poller = Poller([pusher])
            try #require(try poller.poll(timeoutMilliseconds: 5_000)[0])
            return try #require(try pusher.receiveMessage(dontWait: true)?.last?.withUnsafeBytes { try PushReply(decoding: $0) })
        }
        func rows(_ ids: [Int64]) throws -> [Float] { try lookups.lookup(ids, deadline: .after(milliseconds: 3_000)).get() }

        let before = try rows([4, 7])
        let gradient: [Float] = [0.5, -1, 0, 2, 0.1, 0.1, 0.1, 0.1]
        let reply = try push([PushRequest(header: RequestHeader(requestID: 1, deadline: nil), ids: [4, 7], gradients: gradient).encoded()])
        #expect((try? reply.result.get()) == 2)
        var expected = before
        for row in 0..<2 {
            let g = Array(gradient[(row * 4)..<(row * 4 + 4)])
            let accumulator = g.reduce(0) { $0 + $1 * $1 } / 4
            for c in 0..<4 { expected[row * 4 + c] -= 0.1 * g[c] / (accumulator.squareRoot() + 1e-8) }
        }
        let after = try rows([4, 7])
        for (a, b) in zip(after, expected) { #expect(abs(a - b) < 1e-6) }

        // Unknown ids: refused, and nothing applied (row 7 unchanged).
        let refused = try push([
            PushRequest(header: RequestHeader(requestID: 2, deadline: nil), ids: [7, 999], gradients: [Float](repeating: 1, count: 8))
                .encoded()
        ])
        guard case .failure(let error) = refused.result else { Issue.record("unknown id accepted"); return }
        #expect(error.code == .notFound && error.ids == [999])
        #expect(try rows([7]) == Array(after[4..<8]))
        // Malformed, and a gradient of the wrong width.
        guard case .failure(let malformed) = try push([[0xFF, 0x00, 0x13]]).result else { Issue.record("malformed accepted"); return }
        #expect(malformed.code == .badRequest)
        guard
            case .failure(let width) = try push([
                PushRequest(header: RequestHeader(requestID: 3, deadline: nil), ids: [1], gradients: [1, 2]).encoded()
            ]).result
        else {
            Issue.record("wrong width accepted")
            return
        }
        #expect(width.code == .badRequest)
        // A dense part this shard cannot take (it holds no dense weights) or a NaN gradient: refused
        // whole, the rows in the same push untouched.
        var withDense = PushRequest(header: RequestHeader(requestID: 4, deadline: nil), ids: [7], gradients: [1, 1, 1, 1])
        withDense.denseGradients = [1, 2, 3]
        withDense.denseLearningRate = 0.01
        guard case .failure(let noDense) = try push([withDense.encoded()]).result else { Issue.record("dense accepted"); return }
        #expect(noDense.code == .unavailable && noDense.message.contains("dense"))
        let nan = PushRequest(header: RequestHeader(requestID: 5, deadline: nil), ids: [7], gradients: [1, .nan, 1, 1])
        guard case .failure(let notFinite) = try push([nan.encoded()]).result else { Issue.record("NaN accepted"); return }
        #expect(notFinite.code == .badRequest)
        #expect(try rows([7]) == Array(after[4..<8]))
    }

    /// Slipstream's server half: after a snapshot of the hot rows, a hot row that barely moved is
    /// reported stale and one that moved a lot is not; cold rows are never reported.
    @Test func staleQueriesReportHotRowsThatBarelyMoved() throws {
        let context = ZMQContext()
        let server = try InProcessEmbeddingServer(model: Self.model, learningRate: 0.1)
        let client = try PushClient(context: context, endpoints: [server.pushEndpoint])
        let query = PushClient.StaleQuery(threshold: 0.05, hotFraction: 0.04)  // 2 of 50 rows are hot
        // Rows 3 and 9 are pushed most: they are the hot ones in the first snapshot.
        for _ in 0..<3 { _ = try client.push([3: [1, 1, 1, 1], 9: [1, 1, 1, 1], 20: [1, 1, 1, 1]]).get() }
        _ = try client.push([3: [1, 1, 1, 1], 9: [1, 1, 1, 1]]).get()
        let first = try client.exchange([:], stale: query).get()
        #expect(first.staleIDs.isEmpty && first.hotRows == 2, "no snapshot to compare with yet: \(first)")
        // Row 3 moves a lot (Adagrad's first steps are large); row 9 a tiny bit (a tiny gradient
        // after its accumulator grew).
        _ = try client.push([3: [-50, 50, -50, 50], 9: [1e-4, 0, 0, 0], 3 + 10: [1, 0, 0, 0]]).get()
        let second = try client.exchange([:], stale: query).get()
        #expect(second.staleIDs == [9], "\(second.staleIDs)")
    }
}

/// A QR table trained through the parameter server: a pushed item-row gradient reaches the
/// quotient and remainder rows by the chain rule, each stepped by its own row-wise Adagrad.
@Suite(.serialized) struct QuotientRemainderPushTests {
    @Test func pushesTrainTheComponentRowsByTheChainRule() throws {
        let model = PushTests.model
        let components = QuotientRemainder.random(items: 50, dim: 4, divider: 8, seed: 3)
        let (q0, r0) = (components.quotient.array, components.remainder.array)
        let server = try InProcessEmbeddingServer(model: model, learningRate: 0.1, table: CompressedTable(components))
        let context = ZMQContext()
        let lookups = try EmbeddingClient(context: context, endpoints: [server.lookupEndpoint])
        let pusher = try PushClient(context: context, endpoints: [server.pushEndpoint])
        // Items 9 and 17 share remainder row 1; 9 and 12 share quotient row 1.
        let gradients: [Int64: [Float]] = [9: [0.5, -1, 0, 2], 17: [0.1, 0.2, -0.3, 0.4], 12: [1, 1, -1, 0.5]]
        _ = try pusher.push(gradients, timeoutMilliseconds: 5_000).get()

        func step(_ row: [Float], _ g: [Float]) -> [Float] {
            let accumulator = g.reduce(0) { $0 + $1 * $1 } / Float(g.count)
            return zip(row, g).map { $0 - 0.1 * $1 / (accumulator.squareRoot() + 1e-8) }
        }
        func qRow(_ a: Int) -> [Float] { Array(q0[(a * 4)..<(a * 4 + 4)]) }
        func rRow(_ b: Int) -> [Float] { Array(r0[(b * 4)..<(b * 4 + 4)]) }
        var dq: [Int: [Float]] = [:]
        var dr: [Int: [Float]] = [:]
        for (id, g) in gradients {
            let (a, b) = (Int(id) / 8, Int(id) % 8)
            dq[a] = zip(dq[a] ?? [0, 0, 0, 0], zip(g, rRow(b)).map { $0 * $1 }).map { $0 + $1 }
            dr[b] = zip(dr[b] ?? [0, 0, 0, 0], zip(g, qRow(a)).map { $0 * $1 }).map { $0 + $1 }
        }
        let newQ = Dictionary(uniqueKeysWithValues: dq.map { ($0, step(qRow($0), $1)) })
        let newR = Dictionary(uniqueKeysWithValues: dr.map { ($0, step(rRow($0), $1)) })
        let ids: [Int64] = [9, 17, 12, 40]
        let rows = try lookups.lookup(ids, deadline: .after(milliseconds: 3_000)).get()
        for (index, id) in ids.enumerated() {
            let (a, b) = (Int(id) / 8, Int(id) % 8)
            let expected = zip(newQ[a] ?? qRow(a), newR[b] ?? rRow(b)).map { $0 * $1 }
            for c in 0..<4 { #expect(abs(rows[index * 4 + c] - expected[c]) < 1e-6, "item \(id)") }
        }
        // Item 40 shares neither row with a pushed item: unchanged.
        #expect(Array(rows[12..<16]) == zip(qRow(5), rRow(0)).map { $0 * $1 })
    }
}

/// One loop thread serves lookups and pushes, a batch from each socket a turn: a flood of lookups
/// queued ahead of a trainer's push must not make the push wait for all of them.
@Suite(.serialized) struct PushFairnessTests {
    @Test func aFloodOfLookupsDoesNotHoldBackAPush() throws {
        let model = Fixtures.randomModel(items: 2_000, dim: 32, heads: 2, layers: 1, maxHistory: 10, seed: 5)
        let server = try InProcessEmbeddingServer(model: model, learningRate: 0.1)
        let context = ZMQContext()
        let flood = try Socket(context, .dealer)
        try flood.setHighWaterMarks(send: 0, receive: 0)
        try flood.connect(server.lookupEndpoint)
        let pusher = try Socket(context, .dealer)
        try pusher.connect(server.pushEndpoint)
        // Both of this test's connections carry one answered message before the flood starts: a
        // connection still being set up (a busy machine) would hold the push back by itself.
        let lookup = LookupRequest(header: RequestHeader(requestID: 1, deadline: nil), ids: Array(0..<400)).encoded()
        let push = PushRequest(header: RequestHeader(requestID: 2, deadline: nil), ids: [3], gradients: [Float](repeating: 0.1, count: 32))
        for (socket, message) in [(flood, lookup), (pusher, push.encoded())] {
            try socket.send(parts: [message])
            var warmPoller = Poller([socket])
            try #require(try warmPoller.poll(timeoutMilliseconds: 10_000)[0], "the server did not answer the first message")
            _ = try socket.receiveMessage(dontWait: true)
        }

        let floodCount = 2_000
        for _ in 0..<floodCount { try flood.send(parts: [lookup]) }
        usleep(2_000)
        try pusher.send(parts: [push.encoded()])

        var answered = 0
        func readLookups() throws { while try flood.receiveMessage(dontWait: true) != nil { answered += 1 } }
        var poller = Poller([flood, pusher])
        let deadline = Date().addingTimeInterval(20)
        var pushReplied = false
        while !pushReplied && Date() < deadline {
            let ready = try poller.poll(timeoutMilliseconds: 100)
            if ready[1], try pusher.receiveMessage(dontWait: true) != nil { pushReplied = true }
            if ready[0] { try readLookups() }
        }
        try #require(pushReplied, "the push was never answered")
        let atPushReply = answered
        while answered < floodCount && Date() < deadline {
            if try poller.poll(timeoutMilliseconds: 100)[0] { try readLookups() }
        }
        #expect(answered == floodCount, "every lookup answered")
        // Served in turns, the push is answered after at most a batch or two of the queued
        // lookups; drained socket by socket, it waited for all of them.
        #expect(atPushReply < floodCount / 2, "the push was answered after \(atPushReply) of \(floodCount) queued lookups")
    }
}
