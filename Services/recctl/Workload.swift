import ArgumentParser
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
    @Option(help: "Random seed for the generated requests.")
    var seed: UInt64 = 1

    var description: String { "history \(historyLength), \(candidates) candidates, k \(k)" }
}

/// Makes distinct requests (fresh history and candidates each time) so caches cannot flatter results.
struct RequestSource {
    let options: WorkloadOptions
    let itemCount: Int
    var rng: SeededRandom

    init(options: WorkloadOptions, itemCount: Int, stream: UInt64 = 0) {
        self.options = options
        self.itemCount = itemCount
        rng = SeededRandom(seed: options.seed &* 1_000_003 &+ stream)
    }

    mutating func next(user: String) -> RecommendRequest {
        let history = (0..<options.historyLength).map { _ in Int64.random(in: 0..<Int64(itemCount), using: &rng) }
        let candidates = (0..<options.candidates).map { _ in Int64.random(in: 0..<Int64(itemCount), using: &rng) }
        return RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: user, history: history, candidates: candidates,
            k: options.k)
    }
}
