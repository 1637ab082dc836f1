import Dataset
import Foundation
import Model

/// Draws training examples in serving's exact structure.
///
/// Histories carry positions counted back from their most recent item, so a history's encoding
/// depends on where it ends: SASRec's trick of scoring every position of one encoded sequence
/// would train the model on shifted positions it never sees in serving. Instead each example is a
/// prefix ending just before a target, encoded on its own; the candidates are the target, sampled
/// negatives (items the user never interacted with) and up to `historyNegatives` of the history's
/// own items: serving ranks every item, already-seen ones included (RecBole's protocol keeps them),
/// so the model must learn that what was just watched is not what comes next.
///
/// `popularNegatives` of the sampled negatives are drawn in proportion to training popularity to
/// the power 0.75 (word2vec's smoothing) instead of uniformly: full-ranking evaluation's hardest
/// competitors are the popular items, which uniform sampling over the catalog rarely shows the
/// model as negatives. (No log-Q correction: the uniform share keeps every item in play.)
public struct SampleBuilder: Sendable {
    public let split: LeaveOneOutSplit
    public let maxHistory: Int
    public let negatives: Int
    public let historyNegatives: Int
    public let popularNegatives: Int
    /// Item ids by smoothed training popularity, for the popularity-drawn negatives.
    private let popularity: WeightedSampler

    public init(split: LeaveOneOutSplit, maxHistory: Int, negatives: Int, historyNegatives: Int = 0, popularNegatives: Int = 0) {
        self.split = split
        self.maxHistory = maxHistory
        self.negatives = negatives
        self.historyNegatives = historyNegatives
        self.popularNegatives = min(popularNegatives, negatives)
        var counts = [Double](repeating: 0, count: split.dataset.itemCount)
        for sequence in split.training { for item in sequence { counts[Int(item)] += 1 } }
        popularity = WeightedSampler(weights: counts.lazy.map { Foundation.pow($0, 0.75) })
    }

    public func samples(for user: Int, count: Int, using rng: inout SeededRandom) -> [TrainingSample] {
        let sequence = split.training[user]
        guard sequence.count >= 2 else { return [] }
        let interacted = split.allItems(of: user)
        let itemCount = Int64(split.dataset.itemCount)
        return (0..<count).map { _ in
            let target = Int.random(in: 1..<sequence.count, using: &rng)
            let history = Array(sequence[max(0, target - maxHistory)..<target])
            var candidates = [sequence[target]]
            while candidates.count <= negatives {
                let popular = candidates.count <= popularNegatives
                let item = popular ? Int64(popularity.next(using: &rng)) : Int64.random(in: 0..<itemCount, using: &rng)
                if !interacted.contains(item) { candidates.append(item) }
            }
            if historyNegatives > 0 {
                let seen = Array(Set(history).subtracting([sequence[target]])).sorted().shuffled(using: &rng)
                candidates += seen.prefix(historyNegatives)
            }
            return TrainingSample(
                history: history, candidates: candidates, labels: [1] + [Float](repeating: 0, count: candidates.count - 1))
        }
    }
}
