import Model

/// Dropout for one training step: the share of values zeroed, and the seed the masks come from.
/// Applied to the embeddings (history tokens and candidate tokens) and to each block's attention
/// and FFN outputs before they join the residual stream; inverted (kept values scaled by
/// 1 / (1 - rate)), so serving, which has none, needs no rescaling.
public struct Dropout: Sendable, Equatable {
    public var rate: Float
    public var seed: UInt64

    public init(rate: Float, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "dropout rate \(rate) outside 0..<1")
        self.rate = rate
        self.seed = seed
    }
}

/// The masks of one step, drawn in a fixed order from the dropout's seed.
final class DropoutMasks {
    private let keep: Float
    private var rng: SeededRandom

    init?(_ dropout: Dropout?) {
        guard let dropout, dropout.rate > 0 else { return nil }
        keep = 1 - dropout.rate
        rng = SeededRandom(seed: dropout.seed)
    }

    func next(rows: Int, cols: Int) -> Matrix {
        var mask = Matrix(rows: rows, cols: cols)
        let scale = 1 / keep
        for i in 0..<mask.data.count { mask.data[i] = Float.random(in: 0..<1, using: &rng) < keep ? scale : 0 }
        return mask
    }
}

extension Matrix {
    /// Element-wise product with a dropout mask; unchanged without one.
    func masked(_ mask: Matrix?) -> Matrix {
        guard let mask else { return self }
        precondition(mask.rows == rows && mask.cols == cols)
        var out = self
        out.data.withUnsafeMutableBufferPointer { out in
            mask.data.withUnsafeBufferPointer { mask in
                for i in 0..<out.count { out[i] *= mask[i] }
            }
        }
        return out
    }
}
