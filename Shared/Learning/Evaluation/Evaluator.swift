import Dataset
import Model

/// The three protocols papers report, computed together from one scoring pass per user.
public struct EvaluationReport: Sendable {
    public var ranker: String
    /// Full ranking over all items, the user's history still eligible (RecBole's protocol).
    public var full: RankingMetrics
    /// Full ranking with the items in the user's history excluded.
    public var fullSeenExcluded: RankingMetrics
    /// The target against 100 sampled items the user never interacted with (older papers).
    public var sampled100: RankingMetrics
}

public enum Evaluator {
    /// Evaluates `ranker` on `cases` (the split's test or validation cases).
    public static func evaluate(
        _ ranker: some Ranker, cases: [EvaluationCase], split: LeaveOneOutSplit, k: Int = 10, seed: UInt64 = 1
    ) -> EvaluationReport {
        let itemCount = split.dataset.itemCount
        let allItems = 0..<Int64(itemCount)
        var rng = SeededRandom(seed: seed)
        var report = EvaluationReport(
            ranker: ranker.name, full: .init(k: k), fullSeenExcluded: .init(k: k), sampled100: .init(k: k))
        for evaluation in cases {
            let scores = ranker.scores(history: evaluation.history)
            report.full.add(rank: TargetRank.rank(of: evaluation.target, scores: scores, among: allItems))
            let seen = Set(evaluation.history)
            report.fullSeenExcluded.add(
                rank: TargetRank.rank(of: evaluation.target, scores: scores, among: allItems.lazy.filter { !seen.contains($0) }))
            let interacted = split.allItems(of: evaluation.user)
            var negatives: [Int64] = []
            while negatives.count < min(100, itemCount - interacted.count) {
                let item = Int64.random(in: allItems, using: &rng)
                if !interacted.contains(item) && !negatives.contains(item) { negatives.append(item) }
            }
            report.sampled100.add(rank: TargetRank.rank(of: evaluation.target, scores: scores, among: negatives))
        }
        return report
    }
}
