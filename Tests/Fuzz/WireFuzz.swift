import Wire

/// Fuzzing of every decoder that reads bytes from the network. The first byte picks the decoder,
/// the rest is its input; whatever decodes must survive encode → decode → encode with identical
/// bytes (bytes, not `==`: tensors may hold NaN, which is not equal to itself).
///
/// Built two ways: with `-DFUZZING -sanitize=fuzzer,address` (scripts/fuzz.sh) libFuzzer drives
/// `LLVMFuzzerTestOneInput`; otherwise this is a replayer that runs files (the checked-in corpus)
/// through the same checks, so a crash found once stays a test.
enum WireFuzz {
    static func check(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first else { return }
        let input = UnsafeRawBufferPointer(rebasing: data.dropFirst())
        switch selector % 15 {
        case 0: roundTrip(input, RecommendRequest.init(decoding:), { $0.encoded() })
        case 1: roundTrip(input, RecommendReply.init(decoding:), { $0.encoded() })
        case 2: roundTrip(input, EncodeRequest.init(decoding:), { $0.encoded() })
        case 3: roundTrip(input, EncodeReply.init(decoding:), { $0.encoded() })
        case 4: roundTrip(input, ScoreRequest.init(decoding:), { $0.encoded() })
        case 5: roundTrip(input, ScoreReply.init(decoding:), { $0.encoded() })
        case 6: roundTrip(input, LookupRequest.init(decoding:), { $0.encoded() })
        case 7: roundTrip(input, LookupReply.init(decoding:), { $0.encoded() })
        case 8: roundTrip(input, PushRequest.init(decoding:), { $0.encoded() })
        case 9: roundTrip(input, PushReply.init(decoding:), { $0.encoded() })
        case 10: roundTrip(input, ReplicaStatus.init(decoding:), { $0.encoded() })
        case 11: roundTrip(input, AdminRequest.init(decoding:), { $0.encoded() })
        case 12: roundTrip(input, AdminReply.init(decoding:), { $0.encoded() })
        case 13: roundTrip(input, GenerateRequest.init(decoding:), { $0.encoded() })
        default: roundTrip(input, GenerateReply.init(decoding:), { $0.encoded() })
        }
    }

    static func roundTrip<Message>(
        _ input: UnsafeRawBufferPointer, _ decode: (UnsafeRawBufferPointer) throws(WireError) -> Message,
        _ encode: (Message) -> [UInt8]
    ) {
        guard let message = try? decode(input) else { return }
        let bytes = encode(message)
        let again = bytes.withUnsafeBytes { try? decode($0) }
        precondition(again.map(encode) == bytes, "\(Message.self) changed in an encode/decode round trip")
    }
}

#if FUZZING
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
        WireFuzz.check(UnsafeRawBufferPointer(start: start, count: count))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
    ) -> CInt

    /// SwiftPM links an executable's entry point under this name; libFuzzer's driver takes over.
    @_cdecl("wire_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return runFuzzerDriver(&count, &arguments) { fuzzOneInput($0, $1) }
    }
#else
    import Foundation

    @main
    struct ReplayCorpus {
        static func main() {
            if CommandLine.arguments.count == 3 && CommandLine.arguments[1] == "--write-seeds" {
                writeSeeds(to: CommandLine.arguments[2])
                return
            }
            let paths = CommandLine.arguments.dropFirst().flatMap { path -> [String] in
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
                guard isFolder.boolValue else { return [path] }
                return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
            }
            for path in paths {
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                data.withUnsafeBytes { WireFuzz.check($0) }
            }
            print("wire-fuzz: replayed \(paths.count) inputs through every decoder's round trip")
        }

        /// A trainer's full exchange: rows, the dense gradient, and a Slipstream query.
        static func trainingStep(_ header: RequestHeader) -> [UInt8] {
            var request = PushRequest(header: header, ids: [3], gradients: [0.5, -0.5])
            (request.denseGradients, request.denseLearningRate, request.wantDense) = ([0.1, 0.2, 0.3], 0.003, true)
            (request.staleThreshold, request.hotFraction) = (0.05, 0.5)
            return request.encoded()
        }

        static func trainingReply() -> [UInt8] {
            var reply = PushReply(requestID: 7, result: .success(1), modelVersion: "v1")
            (reply.dense, reply.denseStep, reply.staleIDs, reply.hotRows) = ([1, 2, 3], 42, [5, 9], 2)
            return reply.encoded()
        }

        /// Valid messages of every type, prefixed with their selector: the seed corpus.
        static func writeSeeds(to folder: String) {
            let header = RequestHeader(requestID: 7, deadline: Deadline(unixMicros: 1_700_000_000_000_000))
            let history = EncodedHistory(
                modelVersion: "v1", itemCount: 100, layers: 1, length: 2, dim: 2, keys: [1, 2, 3, 4], values: [5, 6, 7, 8])
            let ranked = RankedItems(items: [3, 1], scores: [0.5, 0.25])
            let seeds: [(UInt8, [UInt8])] = [
                (0, RecommendRequest(header: header, userID: "u", history: [1, 2, 3], candidates: [4, 5], k: 2).encoded()),
                (0, RecommendRequest(header: header, userID: "", history: [9], allItems: true, k: 10).encoded()),
                (0, RecommendRequest(header: header, userID: "g", history: [9], k: 10, retrieval: .generative, beam: 64).encoded()),
                (13, GenerateRequest(header: header, history: history, beam: 16).encoded()),
                (
                    14,
                    GenerateReply(
                        requestID: 7, result: .success(GeneratedItems(items: [4, 2], logProbabilities: [-0.5, -1.5], modelVersion: "v1"))
                    ).encoded()
                ),
                (
                    1,
                    RecommendReply(requestID: 7, ranked: ranked, modelVersion: "v1", timings: [TierTiming(tier: "encode", micros: 5)])
                        .encoded()
                ),
                (1, RecommendReply(requestID: 7, error: .unknownItems([500], itemCount: 100)).encoded()),
                (2, EncodeRequest(header: header, userID: "u", history: [1, 2]).encoded()),
                (3, EncodeReply(requestID: 7, result: .success(history), cacheHit: true, computeMicros: 9).encoded()),
                (4, ScoreRequest(header: header, history: history, candidates: .ids([1, 2]), k: 1).encoded()),
                (4, ScoreRequest(header: header, history: history, candidates: .range(0..<50), k: 5).encoded()),
                (
                    4,
                    ScoreRequest(
                        header: header, history: .raw(RawHistory(userID: "u", items: [3, 4], modelVersion: "v1")), candidates: .ids([1]),
                        k: 1
                    ).encoded()
                ),
                (5, ScoreReply(requestID: 7, result: .success(ScoredSlice(ranked: ranked, modelVersion: "v1"))).encoded()),
                (6, LookupRequest(header: header, ids: [1, 1, 2], modelVersion: "v1").encoded()),
                (7, LookupReply(requestID: 7, result: .success(EmbeddingRows(modelVersion: "v1", dim: 2, rows: [1, 2, 3, 4]))).encoded()),
                (8, PushRequest(header: header, ids: [1, 2], gradients: [0.1, 0.2, 0.3, 0.4]).encoded()),
                (8, trainingStep(header)),
                (9, trainingReply()),
            ]
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (index, (selector, bytes)) in seeds.enumerated() {
                _ = FileManager.default.createFile(atPath: "\(folder)/seed-\(index)", contents: Data([selector] + bytes))
            }
            print("wrote \(seeds.count) seeds to \(folder)")
        }
    }
#endif
