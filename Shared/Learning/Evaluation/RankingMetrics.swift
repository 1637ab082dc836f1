import Foundation

/// HR@k, NDCG@k and MRR@k over a set of single-target cases (leave-one-out).
public struct RankingMetrics: Sendable, Equatable {
    public let k: Int
    public private(set) var cases = 0
    private var hits = 0.0
    private var ndcgSum = 0.0
    private var reciprocalSum = 0.0

    public init(k: Int) { self.k = k }

    /// Adds one case whose target landed at 0-based `rank`.
    public mutating func add(rank: Int) {
        cases += 1
        guard rank < k else { return }
        hits += 1
        ndcgSum += 1 / log2(Double(rank) + 2)
        reciprocalSum += 1 / Double(rank + 1)
    }

    public var hitRate: Double { cases == 0 ? 0 : hits / Double(cases) }
    public var ndcg: Double { cases == 0 ? 0 : ndcgSum / Double(cases) }
    public var mrr: Double { cases == 0 ? 0 : reciprocalSum / Double(cases) }
}

/// Where the target lands among competitors: the number that rank before it. Ties go to the lower
/// id, as in serving's top-k, so a ranker that scores everything equal gets no free hits.
public enum TargetRank {
    public static func rank(of target: Int64, scores: [Float], among candidates: some Sequence<Int64>) -> Int {
        let targetScore = scores[Int(target)]
        var rank = 0
        for item in candidates where item != target {
            let score = scores[Int(item)]
            if score > targetScore || (score == targetScore && item < target) { rank += 1 }
        }
        return rank
    }
}
