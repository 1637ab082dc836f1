import RowCodec
import Testing
import Wire

@Suite struct CodecRoundTripTests {
    static let header = RequestHeader(requestID: 42, deadline: Deadline(unixMicros: 1_234_567_890))
    static let history = EncodedHistory(
        modelVersion: "v9", itemCount: 100, layers: 2, length: 3, dim: 4,
        keys: (0..<24).map { Float($0) * 0.5 }, values: (0..<24).map { -Float($0) })

    @Test func recommendRequest() throws {
        let request = RecommendRequest(header: Self.header, userID: "u", history: [1, 2, 3], candidates: [7, 8], k: 5)
        #expect(try request.encoded().withUnsafeBytes { try RecommendRequest(decoding: $0) } == request)
        let all = RecommendRequest(header: RequestHeader(requestID: 1, deadline: nil), userID: "", history: [1], allItems: true, k: 1)
        #expect(try all.encoded().withUnsafeBytes { try RecommendRequest(decoding: $0) } == all)
    }

    @Test func recommendReplyWithResultAndWithError() throws {
        let reply = RecommendReply(
            requestID: 9, ranked: RankedItems(items: [3, 1], scores: [0.5, -1]), modelVersion: "v9",
            timings: [TierTiming(tier: "encode", micros: 12)], scorerSlices: 2, historyCacheHit: true)
        #expect(try reply.encoded().withUnsafeBytes { try RecommendReply(decoding: $0) } == reply)
        let failed = RecommendReply(requestID: 9, error: .unknownItems([5000, 7000], itemCount: 10))
        let decoded = try failed.encoded().withUnsafeBytes { try RecommendReply(decoding: $0) }
        #expect(decoded == failed)
        #expect(decoded.error?.code == .notFound && decoded.error?.ids == [5000, 7000])
    }

    @Test func encodeAndScoreMessages() throws {
        let encode = EncodeRequest(header: Self.header, userID: "u", history: [4, 5])
        #expect(try encode.encoded().withUnsafeBytes { try EncodeRequest(decoding: $0) } == encode)
        let reply = EncodeReply(requestID: 42, result: .success(Self.history), cacheHit: true, computeMicros: 77)
        #expect(try reply.encoded().withUnsafeBytes { try EncodeReply(decoding: $0) } == reply)
        for candidates in [CandidateSlice.ids([1, 2, 3]), .range(10..<20)] {
            let score = ScoreRequest(header: Self.header, history: Self.history, candidates: candidates, k: 3)
            #expect(try score.encoded().withUnsafeBytes { try ScoreRequest(decoding: $0) } == score)
        }
        let raw = ScoreRequest(
            header: Self.header, history: .raw(RawHistory(userID: "u", items: [4, 5], modelVersion: "v2")), candidates: .ids([7]),
            k: 1)
        #expect(try raw.encoded().withUnsafeBytes { try ScoreRequest(decoding: $0) } == raw)
        let scored = ScoreReply(
            requestID: 1,
            result: .success(
                ScoredSlice(
                    ranked: RankedItems(items: [1], scores: [2]), modelVersion: "v9", computeMicros: 3, rowCacheMisses: 4,
                    encodeMicros: 2, historyCacheHit: true)))
        #expect(try scored.encoded().withUnsafeBytes { try ScoreReply(decoding: $0) } == scored)
    }

    @Test func lookupMessages() throws {
        let request = LookupRequest(header: Self.header, ids: [1, 1, 9], modelVersion: "v7")
        #expect(try request.encoded().withUnsafeBytes { try LookupRequest(decoding: $0) } == request)
        let reply = LookupReply(requestID: 42, result: .success(EmbeddingRows(modelVersion: "v", dim: 2, rows: [1, 2, 3, 4])))
        #expect(try reply.encoded().withUnsafeBytes { try LookupReply(decoding: $0) } == reply)
        let compactRequest = LookupRequest(header: Self.header, ids: [4], modelVersion: "v7", compact: true)
        #expect(try compactRequest.encoded().withUnsafeBytes { try LookupRequest(decoding: $0) } == compactRequest)
        // Rows packed in every row encoding survive the wire byte for byte.
        for encoding in RowEncoding.allCases {
            let packed = (0..<(3 * encoding.bytesPerRow(dim: 5))).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            let rows = EmbeddingRows(modelVersion: "v", dim: 5, encoding: encoding, packed: packed)
            let decoded = try LookupReply(requestID: 7, result: .success(rows)).encoded().withUnsafeBytes { try LookupReply(decoding: $0) }
            #expect(try decoded.result.get() == rows, "\(encoding)")
        }
        let failed = LookupReply(requestID: 42, result: .failure(.init(.notFound, "nope", ids: [3])))
        #expect(try failed.encoded().withUnsafeBytes { try LookupReply(decoding: $0) } == failed)
    }
}

/// Decoders face bytes from the network: truncated, corrupted and random input must give a
/// WireError (never a crash), and anything that does decode must satisfy the shape checks.
@Suite struct HostileBytesTests {
    @Test func truncatedMessagesAreRejectedOrShapeChecked() {
        let bytes = ScoreRequest(
            header: CodecRoundTripTests.header, history: CodecRoundTripTests.history, candidates: .ids([1, 2]), k: 3
        ).encoded()
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            if let decoded = try? prefix.withUnsafeBytes({ try ScoreRequest(decoding: $0) }) {
                // A prefix can be a valid message; if so its tensors must still match their shape.
                if case .encoded(let h) = decoded.history { #expect(h.keys.count == h.layers * h.length * h.dim) }
            }
        }
    }

    @Test func randomAndMutatedBytesNeverCrashTheDecoders() {
        var rng = SystemRandomNumberGenerator()
        let seeds: [[UInt8]] = [
            RecommendRequest(header: CodecRoundTripTests.header, userID: "u", history: [1, 2], candidates: [3], k: 2).encoded(),
            EncodeReply(requestID: 1, result: .success(CodecRoundTripTests.history)).encoded(),
            LookupReply(requestID: 1, result: .success(EmbeddingRows(modelVersion: "v", dim: 2, rows: [1, 2]))).encoded(),
        ]
        var rejected = 0
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            bytes.withUnsafeBytes { raw in
                if (try? RecommendRequest(decoding: raw)) == nil { rejected += 1 }
                _ = try? EncodeReply(decoding: raw)
                _ = try? ScoreRequest(decoding: raw)
                _ = try? LookupReply(decoding: raw)
                _ = try? RecommendReply(decoding: raw)
            }
        }
        #expect(rejected > 500, "random bytes should mostly fail to decode")
    }

    @Test func floatTensorsMustBeWholeFloats() throws {
        // A LookupReply whose rows field has 5 bytes: hand-built (field 6, length-delimited).
        let bytes: [UInt8] = [0x08, 0x01, 0x20, 0x01, 0x32, 0x05, 1, 2, 3, 4, 5]
        #expect(throws: WireError.self) { try bytes.withUnsafeBytes { try LookupReply(decoding: $0) } }
    }
}
