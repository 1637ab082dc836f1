import Model

/// Where each dense tensor sits in the flat vector the parameter server holds (the model file's
/// layout order), computed once so gradients add into it in place.
public struct DenseLayout: Sendable {
    public let offsets: [String: Int]
    public let count: Int

    public init(_ config: ModelConfig) {
        var offsets: [String: Int] = [:]
        var offset = 0
        for entry in DenseWeights.layout(config) {
            offsets[entry.name] = offset
            offset += entry.shape.reduce(1, *)
        }
        self.offsets = offsets
        count = offset
    }
}

extension Gradients {
    /// Adds `scale` times the dense gradients into `flat` (laid out by `layout`).
    public func addDense(into flat: inout [Float], scale: Float, layout: DenseLayout) {
        precondition(flat.count == layout.count, "a flat dense vector has \(layout.count) values")
        flat.withUnsafeMutableBufferPointer { out in
            for (name, values) in dense {
                let offset = layout.offsets[name]!
                // Through a base pointer: indexing `out[offset + i]` kept an overflow check in the
                // loop and it ran scalar (6% of a trainer's samples).
                let target = out.baseAddress! + offset
                values.withUnsafeBufferPointer { values in
                    let source = values.baseAddress!
                    for i in 0..<values.count { target[i] += source[i] * scale }
                }
            }
        }
    }
}
