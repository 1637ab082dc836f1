import Model
import TestSupport
import Testing

/// The core correctness property: scoring candidates against the cached history keys/values gives
/// the same logits as running the whole transformer over `[history, candidate]` with the mask.
@Suite struct AmortizedEquivalenceTests {
    static let model = Fixtures.randomModel(items: 2_000, seed: 11)
    static let recommender = LocalRecommender(file: model)

    @Test(arguments: [1, 7, 200], [1, 33, 1000])
    func amortizedEqualsNaive(historyLength: Int, candidateCount: Int) {
        let history = Fixtures.randomIDs(count: historyLength, below: 2_000, seed: UInt64(historyLength))
        let candidates = Fixtures.randomIDs(count: candidateCount, below: 2_000, seed: UInt64(candidateCount) + 100)
        let workspace = Workspace()
        let kv = Self.recommender.encode(history: history, workspace: workspace)
        let amortized = Self.recommender.logits(history: kv, candidates: candidates, workspace: workspace)
        let naive = Self.recommender.naiveLogits(history: history, candidates: candidates, workspace: workspace)
        let error = RelativeError(actual: amortized, expected: naive)
        #expect(error.worst <= 1e-4, "worst relative error \(error.worst) at candidate \(error.worstIndex)")
        // The logits must actually vary, or equality would prove nothing.
        #expect(Set(naive).count == Set(candidates).count)
    }

    @Test func microBatchSizeDoesNotChangeScores() {
        let history = Fixtures.randomIDs(count: 50, below: 2_000, seed: 3)
        let candidates = Fixtures.randomIDs(count: 300, below: 2_000, seed: 4)
        let workspace = Workspace()
        let small = LocalRecommender(model: SequenceModel(file: Self.model, microBatch: 7), itemTable: Self.model.itemTable!)
        let kv = Self.recommender.encode(history: history, workspace: workspace)
        let batched = Self.recommender.logits(history: kv, candidates: candidates, workspace: workspace)
        let tiny = small.logits(history: kv, candidates: candidates, workspace: workspace)
        #expect(RelativeError(actual: tiny, expected: batched).worst <= 1e-5)
    }

    @Test func historyIsTruncatedToMostRecent() {
        let config = Self.model.config
        let long = Fixtures.randomIDs(count: config.maxHistory + 37, below: 2_000, seed: 5)
        let workspace = Workspace()
        let fromLong = Self.recommender.encode(history: long, workspace: workspace)
        let fromRecent = Self.recommender.encode(history: Array(long.suffix(config.maxHistory)), workspace: workspace)
        #expect(fromLong == fromRecent)
    }
}

/// Relative error per element: `|actual - expected| / max(|expected|, rms(expected))`.
///
/// Floored at the logits' RMS (their scale) because float32 rounding leaves about 1e-6 of absolute
/// noise; dividing that by a logit that happens to be near zero would measure luck, not correctness.
struct RelativeError {
    var worst: Float = 0
    var worstIndex = 0

    init(actual: [Float], expected: [Float]) {
        precondition(actual.count == expected.count && !expected.isEmpty)
        let rms = (expected.map { $0 * $0 }.reduce(0, +) / Float(expected.count)).squareRoot()
        for i in actual.indices {
            let error = abs(actual[i] - expected[i]) / max(abs(expected[i]), rms)
            if error > worst || error.isNaN {
                worst = error.isNaN ? .infinity : error
                worstIndex = i
            }
        }
    }
}
