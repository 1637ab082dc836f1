import EmbeddingServing
import Model
import Wire

/// Row-wise Adagrad (as DLRM's sparse optimizer): one accumulator per row, the running sum of the
/// mean squared gradient, so the optimizer's state is one float per row instead of one per weight.
/// A QR table's rows are its component rows (`EmbeddingShard.trainableRows`).
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

    /// `row -= learningRate * g / (sqrt(accumulator) + epsilon)` with this slot's accumulator.
    private func step(_ row: UnsafeMutablePointer<Float>, gradient: some Collection<Float>, slot: Int) {
        accumulators[slot] += gradient.reduce(0) { $0 + $1 * $1 } / Float(gradient.count)
        let rate = learningRate / (accumulators[slot].squareRoot() + epsilon)
        for (c, value) in gradient.enumerated() { row[c] -= rate * value }
    }

    /// Applies gradients to the shard's rows in place (a QR table's: to its component rows). All-or-nothing: every id is checked first.
    /// Returns the number of rows applied.
    public func apply(_ ids: [Int64], gradients: [Float], to shard: EmbeddingShard) -> Result<Int, ServiceError> {
        let d = shard.dim
        guard gradients.count == ids.count * d else {
            return .failure(.badRequest("\(gradients.count) gradient values for \(ids.count) ids of width \(d)"))
        }
        let unknown = ids.filter { !shard.owns($0) }
        if !unknown.isEmpty { return .failure(.unknownItems(Array(Set(unknown)).sorted(), itemCount: shard.itemCount)) }
        if let qr = shard.compressed?.qr {
            // The chain rule to the component rows (slots: quotient rows, then remainder rows).
            let (dq, dr) = qr.componentGradients(ids: ids, gradients: gradients)
            for (row, g) in dq { step(qr.quotient.row(row), gradient: g, slot: row) }
            for (row, g) in dr { step(qr.remainder.row(row), gradient: g, slot: qr.quotient.rows + row) }
            return .success(ids.count)
        }
        for (i, id) in ids.enumerated() {
            let local = Int(id) / shard.shards
            step(shard.rows.row(local), gradient: gradients[(i * d)..<((i + 1) * d)], slot: local)
        }
        return .success(ids.count)
    }
}
