import EmbeddingServing
import Model
import Wire

/// Row-wise Adagrad (as DLRM's sparse optimizer): one accumulator per row, the running sum of the
/// mean squared gradient, so the optimizer's state is one float per row instead of one per weight.
///
/// `row -= learningRate * g / (sqrt(accumulator) + epsilon)` after `accumulator += mean(g^2)`.
public final class RowWiseAdagrad {
    public let learningRate: Float
    public let epsilon: Float
    /// One per owned row; read and restored by the push journal.
    var accumulators: [Float]

    public init(rows: Int, learningRate: Float, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        accumulators = [Float](repeating: 0, count: rows)
    }

    /// Applies gradients to the shard's rows in place. All-or-nothing: every id is checked first.
    /// Returns the number of rows applied.
    public func apply(_ ids: [Int64], gradients: [Float], to shard: EmbeddingShard) -> Result<Int, ServiceError> {
        let d = shard.dim
        guard gradients.count == ids.count * d else {
            return .failure(.badRequest("\(gradients.count) gradient values for \(ids.count) ids of width \(d)"))
        }
        let unknown = ids.filter { !shard.owns($0) }
        if !unknown.isEmpty { return .failure(.unknownItems(Array(Set(unknown)).sorted(), itemCount: shard.itemCount)) }
        for (i, id) in ids.enumerated() {
            let local = Int(id) / shard.shards
            let g = gradients[(i * d)..<((i + 1) * d)]
            accumulators[local] += g.reduce(0) { $0 + $1 * $1 } / Float(d)
            let step = learningRate / (accumulators[local].squareRoot() + epsilon)
            let row = shard.rows.row(local)
            for (c, value) in g.enumerated() { row[c] -= step * value }
        }
        return .success(ids.count)
    }
}
