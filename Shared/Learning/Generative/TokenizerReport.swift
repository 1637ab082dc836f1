import Foundation
import Model

/// What OneRec's tokenizer table reports, for any semantic IDs of a set of vectors: per level, how
/// much of the vectors the codes so far reconstruct, and how evenly the level's codes are used.
public struct TokenizerReport: Sendable {
    public struct Level: Sendable {
        /// Mean squared residual after this level's centroids, relative to the vectors' mean
        /// squared norm (1 means nothing explained).
        public var reconstructionLoss: Double
        /// Share of the level's codes that some item uses.
        public var utilization: Double
        /// Entropy of the level's code distribution over items, in bits, and as a share of log2 K.
        public var entropyBits: Double
        public var normalizedEntropy: Double
    }

    public var levels: [Level]

    /// Measures `ids` against the vectors (row-major, `ids.itemCount x dim`). Each level's
    /// centroids are the means of what its codes hold (the best centroids those codes allow), so
    /// k-means codes and random codes are measured the same way.
    public init(ids: SemanticIDs, vectors: [Float], dim: Int) {
        let count = ids.itemCount
        let k = ids.codesPerLevel
        var residual = vectors.map(Double.init)
        let total = residual.reduce(0) { $0 + $1 * $1 } / Double(max(count, 1))
        levels = (0..<ids.levels).map { level in
            var sums = [Double](repeating: 0, count: k * dim)
            var sizes = [Int](repeating: 0, count: k)
            for item in 0..<count {
                let code = Int(ids.codes[item * ids.levels + level])
                sizes[code] += 1
                for j in 0..<dim { sums[code * dim + j] += residual[item * dim + j] }
            }
            var squared = 0.0
            for item in 0..<count {
                let code = Int(ids.codes[item * ids.levels + level])
                for j in 0..<dim {
                    residual[item * dim + j] -= sums[code * dim + j] / Double(sizes[code])
                    squared += residual[item * dim + j] * residual[item * dim + j]
                }
            }
            let used = sizes.filter { $0 > 0 }.count
            let entropy = sizes.filter { $0 > 0 }.reduce(0.0) { sum, size in
                let p = Double(size) / Double(count)
                return sum - p * log2(p)
            }
            return Level(
                reconstructionLoss: total > 0 ? squared / Double(count) / total : 0, utilization: Double(used) / Double(k),
                entropyBits: entropy, normalizedEntropy: entropy / log2(Double(k)))
        }
    }
}
