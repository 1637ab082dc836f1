import ArgumentParser
import Foundation
import Model
import Wire

/// A request shape for benchmarks (DESIGN.md's W1 by default) and a seeded source of requests.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "History length per request.")
    var historyLength = 200
    @Option(help: "Candidates per request.")
    var candidates = 1_000
    @Option(name: .short, help: "Items returned per request.")
    var k: Int32 = 10
    @Option(
        help:
            "Random seed for the generated requests. Default: 1 for bench-model; a fresh one each `recctl bench` run (printed), so a repeated run against the same suite cannot hit the encoder's cache."
    )
    var seed: UInt64?
    @Option(help: "Draw item ids from a Zipf distribution with this exponent (id 0 most popular; W2 uses 1.05). Default: uniform.")
    var zipf: Double?
    @Option(help: "Generative retrieval: list no candidates; the gateway generates this many (beam width) and scores those.")
    var generate: UInt32?

    var description: String {
        let what = generate.map { "\($0) generated candidates" } ?? "\(candidates) candidates"
        return "history \(historyLength), \(what), k \(k)" + (zipf.map { ", ids Zipf(\($0))" } ?? ", ids uniform") + ", seed \(seed ?? 1)"
    }
}

/// Item ids drawn with probability proportional to 1 / (id + 1)^s.
struct ZipfIDs {
    private let sampler: WeightedSampler

    init(itemCount: Int, exponent: Double) {
        sampler = WeightedSampler(weights: (0..<itemCount).lazy.map { 1 / Foundation.pow(Double($0 + 1), exponent) })
    }

    func next(using rng: inout SeededRandom) -> Int64 { Int64(sampler.next(using: &rng)) }
}

/// Makes distinct requests (fresh history and candidates each time) so caches cannot flatter results.
struct RequestSource {
    let options: WorkloadOptions
    let itemCount: Int
    var rng: SeededRandom
    let zipf: ZipfIDs?

    init(options: WorkloadOptions, itemCount: Int, stream: UInt64 = 0) {
        self.options = options
        self.itemCount = itemCount
        rng = SeededRandom(seed: (options.seed ?? 1) &* 1_000_003 &+ stream)
        zipf = options.zipf.map { ZipfIDs(itemCount: itemCount, exponent: $0) }
    }

    private mutating func id() -> Int64 {
        if let zipf { return zipf.next(using: &rng) }
        return Int64.random(in: 0..<Int64(itemCount), using: &rng)
    }

    mutating func next(user: String) -> RecommendRequest {
        let history = (0..<options.historyLength).map { _ in id() }
        if let beam = options.generate {
            return RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: user, history: history, k: options.k, retrieval: .generative,
                beam: beam)
        }
        let candidates = (0..<options.candidates).map { _ in id() }
        return RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: user, history: history, candidates: candidates,
            k: options.k)
    }
}
