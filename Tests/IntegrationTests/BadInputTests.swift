import Broker
import Clients
import Foundation
import Model
import ServiceRuntime
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Every kind of bad input gets a clear error reply (or, past libzmq's hard size limit, a dropped
/// connection), and every service keeps answering valid requests afterwards.
@Suite(.serialized) struct BadInputTests {
    static let model = Fixtures.randomModel(items: 500, dim: 16, heads: 2, layers: 1, maxHistory: 50, seed: 4)

    static func recommend(history: [Int64], candidates: [Int64] = [1, 2, 3], k: Int32 = 2, deadline: Deadline? = nil) -> [UInt8] {
        RecommendRequest(
            header: RequestHeader(requestID: 77, deadline: deadline), userID: "bad", history: history, candidates: candidates, k: k
        ).encoded()
    }

    /// Sends raw frames and returns the decoded reply (nil if none came within 3 s).
    static func exchange(_ client: GatewayClient, _ parts: [[UInt8]]) throws -> RecommendReply? {
        try client.sendRaw(parts)
        guard let frames = try client.receive(timeoutMilliseconds: 3_000), frames.count == 1 else { return nil }
        return try frames[0].withUnsafeBytes { try RecommendReply(decoding: $0) }
    }

    /// The same table against the suite on threads of this process and as real processes.
    @Test(arguments: SuiteMode.allCases)
    func gatewayAnswersEveryBadRequestAndKeepsServing(mode: SuiteMode) throws {
        var limits = Limits()
        (limits.messageBytes, limits.hardMessageBytes) = (1_000_000, 4_000_000)
        let cluster = try mode.start(model: Self.model, scorers: 1, gatewayLimits: limits)
        let context = ZMQContext()
        let client = try GatewayClient(context: context, endpoint: cluster.gateway)
        try #require(client.waitUntilServing(), "cluster did not start:\n\(cluster.logs())")

        let cases: [(name: String, parts: [[UInt8]], code: ServiceError.Code, mentions: String)] = [
            ("malformed protobuf", [[0x0A, 0xFF, 0xFF, 0x01, 0x02]], .badRequest, "malformed"),
            ("wrong frame count", [Self.recommend(history: [1]), [1, 2, 3]], .badRequest, "expected 1 frame"),
            ("empty history", [Self.recommend(history: [])], .badRequest, "history is empty"),
            ("unknown history ids", [Self.recommend(history: [1, 9_999])], .notFound, "9999"),
            ("unknown candidate ids", [Self.recommend(history: [1], candidates: [3, 600, 700])], .notFound, "600, 700"),
            // Refused wherever they are, also older than the model's window of 50 items.
            ("unknown id older than the window", [Self.recommend(history: [9_998] + Array(repeating: 1, count: 60))], .notFound, "9998"),
            ("negative history id", [Self.recommend(history: [1, -4])], .badRequest, "negative: [-4]"),
            ("negative candidate id", [Self.recommend(history: [1], candidates: [3, -2])], .badRequest, "negative: [-2]"),
            ("k = 0", [Self.recommend(history: [1], k: 0)], .badRequest, "k must be"),
            ("k < 0", [Self.recommend(history: [1], k: -5)], .badRequest, "k must be"),
            ("k over the limit", [Self.recommend(history: [1], k: 1_001)], .badRequest, "k must be"),
            ("oversize message", [[UInt8](repeating: 7, count: 1_500_000)], .badRequest, "exceeds"),
            (
                "user id over the limit",
                [
                    RecommendRequest(
                        header: RequestHeader(requestID: 77, deadline: nil), userID: String(repeating: "u", count: 300), history: [1],
                        candidates: [1], k: 1
                    ).encoded()
                ], .badRequest, "user id of 300 bytes"
            ),
            ("deadline already passed", [Self.recommend(history: [1], deadline: .after(milliseconds: -5))], .deadlineExceeded, "deadline"),
        ]
        for bad in cases {
            let reply = try Self.exchange(client, bad.parts)
            #expect(reply?.error?.code == bad.code, "\(bad.name): got \(String(describing: reply?.error))")
            #expect(reply?.error?.message.contains(bad.mentions) == true, "\(bad.name): \(String(describing: reply?.error?.message))")
            // Still serving, after every one of them.
            let good = try Self.exchange(client, [Self.recommend(history: [1, 2], deadline: .after(milliseconds: 3_000))])
            #expect(good?.error == nil && good?.ranked.items.count == 2, "after \(bad.name)")
        }

        // Repeated candidates are scored once and returned once.
        let repeated = try Self.exchange(
            client, [Self.recommend(history: [1, 2], candidates: [5, 5, 5, 7, 7, 9], k: 6, deadline: .after(milliseconds: 3_000))])
        #expect(repeated?.error == nil)
        #expect(repeated?.ranked.items.count == 3 && Set(repeated?.ranked.items ?? []) == [5, 7, 9])

        // Past ZMQ_MAXMSGSIZE libzmq drops the connection: no reply is possible, but the gateway lives on.
        let hostile = try GatewayClient(context: context, endpoint: cluster.gateway)
        try hostile.sendRaw([[UInt8](repeating: 1, count: 4_500_000)])
        #expect(try hostile.receive(timeoutMilliseconds: 500) == nil)
        let fresh = try GatewayClient(context: context, endpoint: cluster.gateway)
        #expect(fresh.waitUntilServing(seconds: 5))

        // Garbage on the worker endpoint: the gateway tells the sender to re-register and carries on.
        let impostor = try Socket(context, .dealer)
        try impostor.connect(cluster.workers)
        try impostor.send(parts: [[1, 2, 3]])
        try impostor.send(parts: [WorkerProtocol.header, [WorkerProtocol.Command.reply.rawValue], [0], [0]])
        var poller = Poller([impostor])
        #expect(try poller.poll(timeoutMilliseconds: 2_000)[0])
        let answer = try impostor.receiveMessage(dontWait: true)
        #expect(answer?.count == 2 && answer?[1].bytes == [WorkerProtocol.Command.disconnect.rawValue])
        #expect(fresh.waitUntilServing(seconds: 5))

        #expect(cluster.allRunning, "a service died:\n\(cluster.logs())")
    }

    @Test(arguments: SuiteMode.allCases)
    func embeddingServerAnswersBadLookups(mode: SuiteMode) throws {
        let cluster = try mode.start(model: Self.model, scorers: 1)
        let context = ZMQContext()
        let socket = try Socket(context, .dealer)
        try socket.connect(cluster.embedding)
        func ask(_ parts: [[UInt8]]) throws -> LookupReply? {
            try socket.send(parts: parts)
            var poller = Poller([socket])
            guard try poller.poll(timeoutMilliseconds: 5_000)[0], let frames = try socket.receiveMessage(dontWait: true) else { return nil }
            return try frames[0].withUnsafeBytes { try LookupReply(decoding: $0) }
        }
        func lookup(_ ids: [Int64], deadline: Deadline? = nil) -> [UInt8] {
            LookupRequest(header: RequestHeader(requestID: 3, deadline: deadline), ids: ids).encoded()
        }
        let malformed = try ask([[0xFF, 0xFF]])
        #expect(malformed.map { if case .failure(let e) = $0.result { e.code == .badRequest } else { false } } == true)
        let twoFrames = try ask([lookup([1]), [0]])
        #expect(
            twoFrames.map { if case .failure(let e) = $0.result { e.message.contains("expected 1 body frame") } else { false } } == true)
        let unknown = try ask([lookup([1, 500, -1])])
        #expect(unknown.map { if case .failure(let e) = $0.result { e.code == .notFound && e.ids == [-1, 500] } else { false } } == true)
        let longVersion = try ask([
            LookupRequest(header: RequestHeader(requestID: 3, deadline: nil), ids: [1], modelVersion: String(repeating: "v", count: 500))
                .encoded()
        ])
        #expect(
            longVersion.map { if case .failure(let e) = $0.result { e.message.contains("model version of 500 bytes") } else { false } }
                == true)
        let late = try ask([lookup([1], deadline: .after(milliseconds: -1))])
        #expect(late.map { if case .failure(let e) = $0.result { e.code == .deadlineExceeded } else { false } } == true)
        let good = try ask([lookup([4, 4, 7])])
        let expected = Self.model.itemTable!
        if case .success(let rows)? = good?.result {
            #expect(rows.rows.count == 3 * 16)
            #expect(Array(rows.rows[0..<16]) == Array(UnsafeBufferPointer(start: expected.row(4), count: 16)))
            #expect(Array(rows.rows[16..<32]) == Array(rows.rows[0..<16]))
        } else {
            Issue.record("valid lookup failed: \(String(describing: good))")
        }
        #expect(cluster.allRunning, "a service died:\n\(cluster.logs())")
    }
}
