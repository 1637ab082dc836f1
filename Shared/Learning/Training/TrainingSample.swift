import Model

/// How a sample's logits become a loss.
public enum TrainingLoss: String, Sendable, CaseIterable {
    /// Each candidate on its own: positive or not (SASRec's).
    case binaryCrossEntropy = "bce"
    /// The positive against the sampled negatives together (the labels must hold exactly one 1).
    case sampledSoftmax = "softmax"
}

/// One training example in the serving structure: a user's history (oldest first, at most
/// `maxHistory`) and candidates that attend to it, with labels (1 for the true next item, 0 for
/// sampled negatives).
public struct TrainingSample: Sendable {
    public var history: [Int64]
    public var candidates: [Int64]
    public var labels: [Float]

    public init(history: [Int64], candidates: [Int64], labels: [Float]) {
        precondition(candidates.count == labels.count && !history.isEmpty && !candidates.isEmpty)
        self.history = history
        self.candidates = candidates
        self.labels = labels
    }
}

/// Gradients of one step: dense tensors by file name, and sparse item rows by id.
public struct Gradients: Sendable {
    public var dense: [String: [Float]] = [:]
    public var rows: [Int64: [Float]] = [:]

    public init() {}

    mutating func add(_ name: String, _ values: [Float]) {
        if dense[name] == nil {
            dense[name] = values
        } else {
            dense[name]!.accumulate(values[...])
        }
    }

    mutating func addRow(_ id: Int64, _ values: ArraySlice<Float>) {
        if rows[id] == nil {
            rows[id] = Array(values)
        } else {
            rows[id]!.accumulate(values)
        }
    }
}

extension Array where Element == Float {
    /// `self += values` element-wise, in place (the gradient sums' hot loop).
    mutating func accumulate(_ values: ArraySlice<Float>) {
        precondition(count == values.count, "adding \(values.count) values to \(count)")
        withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { add in
                for i in 0..<add.count { out[i] += add[i] }
            }
        }
    }
}
