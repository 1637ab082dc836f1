import Foundation

/// Draws indices with probability proportional to their weights, by inverting the cumulative
/// distribution (one binary search a draw). Zero-weight indices are never drawn.
public struct WeightedSampler: Sendable {
    private let cumulative: [Double]

    /// `weights` must have at least one positive entry.
    public init(weights: some Sequence<Double>) {
        var total = 0.0
        cumulative = weights.map { weight in
            total += weight
            return total
        }
    }

    public func next(using rng: inout SeededRandom) -> Int {
        let target = Double.random(in: 0..<cumulative[cumulative.count - 1], using: &rng)
        var (low, high) = (0, cumulative.count - 1)
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
