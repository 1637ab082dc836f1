import Broker
import Clocks
import GatewayService
import Glibc
import Logging
import Testing
import Wire
import ZeroMQ

/// The gateway's decisions, driven event by event with a hand-held clock.
@Suite struct GatewayCoordinatorTests {
    /// Every request through the history-encoder, as these tests are about that path;
    /// `OneHopTests` covers the single-slice route.
    static var twoHops: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.singleSliceInOneHop = false
        return configuration
    }
    var gateway = GatewayCoordinator(configuration: Self.twoHops, logger: Logger(label: "test"))
    let client = ClientAddress(identity: [9], delimiter: false)
    let encoder: [UInt8] = [1]
    let scorerA: [UInt8] = [2]
    let scorerB: [UInt8] = [3]

    /// The hand-held clock: `at(ms)` is `ms` milliseconds after the test's start on both clocks.
    let start = Moment(instant: .zero, wall: .now)
    func at(_ milliseconds: Int) -> Moment { start + .milliseconds(milliseconds) }

    mutating func register(now: Moment? = nil) {
        let now = now ?? at(0)
        _ = gateway.workerMessage(WorkerProtocol.frames(.ready, [Array("history-encoder".utf8), Array("1".utf8)]), from: encoder, now: now)
        _ = gateway.workerMessage(WorkerProtocol.frames(.ready, [Array("scorer".utf8), Array("1".utf8)]), from: scorerA, now: now)
        _ = gateway.workerMessage(WorkerProtocol.frames(.ready, [Array("scorer".utf8), Array("1".utf8)]), from: scorerB, now: now)
    }

    func request(candidates: [Int64] = Array(0..<1000), k: Int32 = 10) -> [Frame] {
        [
            Frame(
                RecommendRequest(
                    header: RequestHeader(requestID: 5, deadline: .after(.seconds(5), from: start.wall)), userID: "u", history: [1, 2],
                    candidates: candidates, k: k
                ).encoded())
        ]
    }

    static func reply(in actions: [GatewayAction]) -> RecommendReply? {
        for case .replyToClient(_, let bytes, _) in actions {
            return try? bytes.withUnsafeBytes { try RecommendReply(decoding: $0) }
        }
        return nil
    }

    static func requests(in actions: [GatewayAction]) -> [(worker: [UInt8], tag: UInt64, payload: [UInt8])] {
        actions.compactMap { if case .sendRequest(let w, let t, let p) = $0 { (w, t, p) } else { nil } }
    }

    func workerReply(_ tag: UInt64, _ payload: [UInt8]) -> [Frame] {
        WorkerProtocol.frames(.reply, [WorkerProtocol.tagBytes(tag), payload])
    }

    static let history = EncodedHistory(modelVersion: "v", itemCount: 2_000, layers: 1, length: 2, dim: 1, keys: [0, 0], values: [0, 0])

    /// Queued work goes to the connection with the least already at replicas, not first come:
    /// a client with many requests in flight cannot make another wait behind all of them.
    @Test mutating func queuedJobsGoToTheLeastServedClientFirst() throws {
        _ = gateway.workerMessage(
            WorkerProtocol.frames(.ready, [Array("history-encoder".utf8), Array("2".utf8)]), from: encoder, now: at(0))
        _ = gateway.workerMessage(WorkerProtocol.frames(.ready, [Array("scorer".utf8), Array("4".utf8)]), from: scorerA, now: at(0))
        let busy = ClientAddress(identity: [7], delimiter: false)
        let other = ClientAddress(identity: [8], delimiter: false)
        func ask(_ user: String, from client: ClientAddress, at ms: Int) -> [(worker: [UInt8], tag: UInt64, payload: [UInt8])] {
            let frames = [
                Frame(
                    RecommendRequest(
                        header: RequestHeader(requestID: 5, deadline: .after(.seconds(5), from: start.wall)), userID: user,
                        history: [1, 2], candidates: [3, 4], k: 1
                    ).encoded())
            ]
            return Self.requests(in: gateway.clientMessage(frames, from: client, now: at(ms)))
        }
        // The busy client takes both encoder credits and queues a third request; the other client queues one.
        let first = ask("busy-1", from: busy, at: 1)
        #expect(first.count == 1 && ask("busy-2", from: busy, at: 2).count == 1)
        #expect(ask("busy-3", from: busy, at: 3).isEmpty)
        #expect(ask("other-1", from: other, at: 4).isEmpty)
        // A credit frees: the other client's encode goes before the busy client's older third one.
        let encoded = EncodeReply(requestID: 5, result: .success(Self.history)).encoded()
        let next = Self.requests(in: gateway.workerMessage(workerReply(first[0].tag, encoded), from: encoder, now: at(5)))
        let encodes = try next.filter { $0.worker == encoder }.map { try $0.payload.withUnsafeBytes { try EncodeRequest(decoding: $0) } }
        #expect(encodes.map(\.userID) == ["other-1"])
    }

    @Test mutating func noWorkersMeansUnavailableNotSilence() {
        let reply = Self.reply(in: gateway.clientMessage(request(), from: client, now: at(0)))
        #expect(reply?.error?.code == .unavailable)
    }

    @Test mutating func encodesOnceSplitsAcrossScorersAndMerges() throws {
        register()
        let sent = Self.requests(in: gateway.clientMessage(request(), from: client, now: at(1)))
        #expect(sent.count == 1 && sent[0].worker == encoder)
        let encoded = EncodeReply(requestID: 5, result: .success(Self.history)).encoded()
        let slices = Self.requests(in: gateway.workerMessage(workerReply(sent[0].tag, encoded), from: encoder, now: at(2)))
        #expect(Set(slices.map(\.worker)) == [scorerA, scorerB])
        var final: RecommendReply?
        for (index, slice) in slices.enumerated() {
            let score = try slice.payload.withUnsafeBytes { try ScoreRequest(decoding: $0) }
            #expect(score.candidates.count == 500)
            let ranked = RankedItems(items: [Int64(index), Int64(index + 10)], scores: [Float(index), -1])
            let payload = ScoreReply(requestID: 5, result: .success(ScoredSlice(ranked: ranked, modelVersion: "v"))).encoded()
            final = Self.reply(in: gateway.workerMessage(workerReply(slice.tag, payload), from: slice.worker, now: at(3))) ?? final
        }
        #expect(final?.error == nil)
        #expect(final?.ranked.items == [1, 0, 10, 11])
        #expect(final?.scorerSlices == 2)
        #expect(gateway.pendingRequests == 0)
    }

    @Test mutating func unknownCandidatesAreNamedAfterEncoding() {
        register()
        let sent = Self.requests(in: gateway.clientMessage(request(candidates: [1, 5_000, 7_000]), from: client, now: at(1)))
        let encoded = EncodeReply(requestID: 5, result: .success(Self.history)).encoded()
        let reply = Self.reply(in: gateway.workerMessage(workerReply(sent[0].tag, encoded), from: encoder, now: at(2)))
        #expect(reply?.error?.code == .notFound)
        #expect(reply?.error?.ids == [5_000, 7_000])
    }

    @Test mutating func aDeadWorkersJobIsRetriedOnAnother() {
        register()
        let sent = Self.requests(in: gateway.clientMessage(request(candidates: Array(0..<100)), from: client, now: at(1)))
        let encoded = EncodeReply(requestID: 5, result: .success(Self.history)).encoded()
        let slice = Self.requests(in: gateway.workerMessage(workerReply(sent[0].tag, encoded), from: encoder, now: at(2)))
        #expect(slice.count == 1)  // 100 candidates: one slice
        // Everyone but the slice's scorer keeps heartbeating; that scorer goes silent and expires.
        let other = slice[0].worker == scorerA ? scorerB : scorerA
        _ = gateway.workerMessage(WorkerProtocol.frames(.heartbeat), from: other, now: at(900))
        _ = gateway.workerMessage(WorkerProtocol.frames(.heartbeat), from: encoder, now: at(900))
        let retried = Self.requests(in: gateway.tick(now: at(1_001)))
        #expect(retried.count == 1 && retried[0].worker == other)
        #expect(gateway.liveWorkers(service: "scorer") == 1)
    }

    @Test mutating func badInputGetsAnErrorReplyEachTime() {
        register()
        let cases: [([Frame], ServiceError.Code)] = [
            ([Frame([0xFF, 0xFF, 0xFF])], .badRequest),
            ([Frame([1]), Frame([2])], .badRequest),
            (
                [
                    Frame(
                        RecommendRequest(
                            header: RequestHeader(requestID: 1, deadline: nil), userID: "u", history: [], candidates: [1], k: 1
                        ).encoded())
                ], .badRequest
            ),
            (request(k: 0), .badRequest),
            (request(k: 1_001), .badRequest),
            (
                [
                    Frame(
                        RecommendRequest(
                            header: RequestHeader(requestID: 1, deadline: Deadline(unixMicros: 1)), userID: "u", history: [1],
                            candidates: [1], k: 1
                        ).encoded())
                ], .deadlineExceeded
            ),
            (request(candidates: [-3]), .badRequest),
        ]
        for (frames, code) in cases {
            #expect(Self.reply(in: gateway.clientMessage(frames, from: client, now: at(1)))?.error?.code == code)
        }
        #expect(gateway.pendingRequests == 0)
    }

    @Test mutating func requestsPastTheirDeadlineAreAnswered() {
        register()
        let frames = [
            Frame(
                RecommendRequest(
                    header: RequestHeader(requestID: 8, deadline: .after(.milliseconds(30), from: start.wall)), userID: "u", history: [1],
                    candidates: [1],
                    k: 1
                ).encoded())
        ]
        _ = gateway.clientMessage(frames, from: client, now: at(1))
        #expect(Self.reply(in: gateway.tick(now: at(29))) == nil)
        let reply = Self.reply(in: gateway.tick(now: at(30)))
        #expect(reply?.error?.code == .deadlineExceeded)
        #expect(reply?.requestID == 8)
    }

    /// Over capacity, a user with a kept answer for the same candidates gets it back flagged
    /// degraded; anyone else (another user, other candidates) gets OVERLOADED.
    @Test mutating func overCapacityAnswersFromTheLastGoodAnswerFlaggedDegraded() throws {
        var configuration = Self.twoHops
        configuration.maxPendingRequests = 1
        configuration.degradedAnswerUsers = 8
        gateway = GatewayCoordinator(configuration: configuration, logger: Logger(label: "test"))
        register()
        func ask(_ user: String, _ candidates: [Int64] = Array(0..<100), k: Int32 = 2) -> [GatewayAction] {
            let request = RecommendRequest(
                header: RequestHeader(requestID: 6, deadline: .after(milliseconds: 5_000)), userID: user, history: [1, 2],
                candidates: candidates, k: k)
            return gateway.clientMessage([Frame(request.encoded())], from: client, now: at(1))
        }
        // A fresh answer for user u.
        let encode = Self.requests(in: ask("u"))[0]
        let encoded = EncodeReply(requestID: 6, result: .success(Self.history)).encoded()
        let slice = Self.requests(in: gateway.workerMessage(workerReply(encode.tag, encoded), from: encoder, now: at(2)))[0]
        let ranked = RankedItems(items: [42, 7], scores: [3, 1])
        let scored = ScoreReply(requestID: 6, result: .success(ScoredSlice(ranked: ranked, modelVersion: "v9"))).encoded()
        let fresh = try #require(Self.reply(in: gateway.workerMessage(workerReply(slice.tag, scored), from: slice.worker, now: at(3))))
        #expect(!fresh.degraded && fresh.ranked.items == [42, 7])

        // Fill the one pending slot, then ask again.
        #expect(Self.requests(in: ask("u")).count == 1)
        let degraded = try #require(Self.reply(in: ask("u", k: 1)))
        #expect(degraded.error == nil && degraded.degraded)
        #expect(degraded.ranked.items == [42] && degraded.modelVersion == "v9")
        #expect(Self.reply(in: ask("someone-else"))?.error?.code == .overloaded)
        #expect(Self.reply(in: ask("u", Array(0..<50)))?.error?.code == .overloaded)
        #expect(gateway.pendingRequests == 1)
    }
}

/// The single-slice route: a request whose candidates make one slice goes straight to a scorer
/// with its raw history; larger requests and "all items" still go through the encoder first.
@Suite struct OneHopTests {
    var gateway = GatewayCoordinator(configuration: GatewayConfiguration(), logger: Logger(label: "test"))
    let client = ClientAddress(identity: [9], delimiter: false)
    let start = Moment(instant: .zero, wall: .now)
    func at(_ milliseconds: Int) -> Moment { start + .milliseconds(milliseconds) }

    mutating func register(_ worker: [UInt8], _ service: String) {
        _ = gateway.workerMessage(WorkerProtocol.frames(.ready, [Array(service.utf8), Array("4".utf8)]), from: worker, now: at(0))
    }

    mutating func ask(candidates: [Int64], allItems: Bool = false) -> [(worker: [UInt8], tag: UInt64, payload: [UInt8])] {
        let request = RecommendRequest(
            header: RequestHeader(requestID: 5, deadline: .after(.seconds(5), from: start.wall)), userID: "u", history: [1, 2],
            candidates: candidates, allItems: allItems, k: 3)
        return GatewayCoordinatorTests.requests(in: gateway.clientMessage([Frame(request.encoded())], from: client, now: at(1)))
    }

    @Test mutating func aSingleSliceGoesToOneScorerWithItsRawHistory() throws {
        register([2], "scorer")  // no encoder at all: the one-hop route does not need one
        let sent = ask(candidates: Array(0..<100))
        #expect(sent.count == 1 && sent[0].worker == [2])
        let score = try sent[0].payload.withUnsafeBytes { try ScoreRequest(decoding: $0) }
        #expect(score.history == .raw(RawHistory(userID: "u", items: [1, 2])))
        #expect(score.candidates == .ids(Array(0..<100)) && score.k == 3)
        let slice = ScoredSlice(
            ranked: RankedItems(items: [7, 3], scores: [2, 1]), modelVersion: "v", computeMicros: 900, encodeMicros: 300,
            historyCacheHit: true)
        let payload = ScoreReply(requestID: 5, result: .success(slice)).encoded()
        let reply = try #require(
            GatewayCoordinatorTests.reply(
                in: gateway.workerMessage(
                    WorkerProtocol.frames(.reply, [WorkerProtocol.tagBytes(sent[0].tag), payload]), from: [2], now: at(2))))
        #expect(reply.error == nil && reply.ranked.items == [7, 3] && reply.scorerSlices == 1 && reply.historyCacheHit)
        #expect(reply.timings.first { $0.tier == "scorer_encode" }?.micros == 300)
        #expect(!reply.timings.contains { $0.tier == "encode" })
        #expect(gateway.pendingRequests == 0)
    }

    @Test mutating func severalSlicesAndAllItemsStillGoThroughTheEncoder() {
        register([2], "scorer")
        register([3], "scorer")
        // Two slices' worth of candidates with no encoder registered: refused, naming the tier.
        let refused = gateway.clientMessage(
            [
                Frame(
                    RecommendRequest(
                        header: RequestHeader(requestID: 5, deadline: .after(.seconds(5), from: start.wall)), userID: "u",
                        history: [1], candidates: Array(0..<1000), k: 3
                    ).encoded())
            ], from: client, now: at(1))
        #expect(GatewayCoordinatorTests.reply(in: refused)?.error?.message.contains("history-encoder") == true)
        register([1], "history-encoder")
        #expect(ask(candidates: Array(0..<1000)).map(\.worker) == [[1]])
        #expect(ask(candidates: [], allItems: true).map(\.worker) == [[1]])
        #expect([[[2]], [[3]]].contains(ask(candidates: Array(0..<100)).map(\.worker)))  // one slice: a scorer
    }
}

/// Generative retrieval: encode, generate on the generator tier, score the generated items across
/// the scorers; a generator's error reaches the client.
@Suite struct GenerativeFlowTests {
    var gateway = GatewayCoordinator(configuration: GatewayConfiguration(), logger: Logger(label: "test"))
    let client = ClientAddress(identity: [9], delimiter: false)
    let start = Moment(instant: .zero, wall: .now)
    func at(_ milliseconds: Int) -> Moment { start + .milliseconds(milliseconds) }

    mutating func setUp() -> [(worker: [UInt8], tag: UInt64, payload: [UInt8])] {
        for (worker, service) in [([UInt8(1)], "history-encoder"), ([2], "scorer"), ([3], "scorer"), ([4], "generator")] {
            _ = gateway.workerMessage(WorkerProtocol.frames(.ready, [Array(service.utf8), Array("1".utf8)]), from: worker, now: at(0))
        }
        let request = RecommendRequest(
            header: RequestHeader(requestID: 5, deadline: .after(.seconds(5), from: start.wall)), userID: "u", history: [1, 2], k: 3,
            retrieval: .generative, beam: 200)
        return GatewayCoordinatorTests.requests(in: gateway.clientMessage([Frame(request.encoded())], from: client, now: at(1)))
    }

    mutating func reply(_ job: (worker: [UInt8], tag: UInt64, payload: [UInt8]), _ payload: [UInt8], at ms: Int) -> [GatewayAction] {
        gateway.workerMessage(WorkerProtocol.frames(.reply, [WorkerProtocol.tagBytes(job.tag), payload]), from: job.worker, now: at(ms))
    }

    @Test mutating func generatedItemsAreScoredAcrossTheScorers() throws {
        let encode = setUp()
        #expect(encode.map(\.worker) == [[1]])
        let encoded = EncodeReply(requestID: 5, result: .success(GatewayCoordinatorTests.history)).encoded()
        let generate = GatewayCoordinatorTests.requests(in: reply(encode[0], encoded, at: 2))
        #expect(generate.map(\.worker) == [[4]])
        let asked = try generate[0].payload.withUnsafeBytes { try GenerateRequest(decoding: $0) }
        #expect(asked.beam == 200 && asked.history == GatewayCoordinatorTests.history)
        let items = (0..<200).map { Int64($0 * 3) }
        let generated = GeneratedItems(items: items, logProbabilities: items.map { -Float($0) }, modelVersion: "v", computeMicros: 70)
        let slices = GatewayCoordinatorTests.requests(
            in: reply(generate[0], GenerateReply(requestID: 5, result: .success(generated)).encoded(), at: 3))
        #expect(Set(slices.map(\.worker)) == [[2], [3]])
        var scored: [Int64] = []
        var final: RecommendReply?
        for (index, slice) in slices.enumerated() {
            let request = try slice.payload.withUnsafeBytes { try ScoreRequest(decoding: $0) }
            guard case .ids(let ids) = request.candidates else { Issue.record("slice without ids"); continue }
            scored += ids
            let ranked = RankedItems(items: [ids[0]], scores: [Float(index)])
            let payload = ScoreReply(requestID: 5, result: .success(ScoredSlice(ranked: ranked, modelVersion: "v"))).encoded()
            final = GatewayCoordinatorTests.reply(in: reply(slice, payload, at: 4)) ?? final
        }
        #expect(scored == items)  // every generated item scored once
        let answer = try #require(final)
        #expect(answer.error == nil && answer.retrieval == "generative" && answer.generated == 200 && answer.scorerSlices == 2)
        #expect(answer.timings.first { $0.tier == "generator_compute" }?.micros == 70)
        #expect(gateway.pendingRequests == 0)
    }

    @Test mutating func aGeneratorErrorReachesTheClient() {
        let encode = setUp()
        let encoded = EncodeReply(requestID: 5, result: .success(GatewayCoordinatorTests.history)).encoded()
        let generate = GatewayCoordinatorTests.requests(in: reply(encode[0], encoded, at: 2))
        let failure = GenerateReply(requestID: 5, result: .failure(ServiceError(.unavailable, "model v has no semantic IDs"))).encoded()
        let answer = GatewayCoordinatorTests.reply(in: reply(generate[0], failure, at: 3))
        #expect(answer?.error?.code == .unavailable && answer?.error?.message.contains("no semantic IDs") == true)
        #expect(gateway.pendingRequests == 0)
    }
}
