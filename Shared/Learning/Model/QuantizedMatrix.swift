import CKernels

/// How the model's dense layers compute: f32, or int8 weights (per output channel, symmetric)
/// times int8 activations (per row, symmetric) on oneDNN's int8 GEMM, which uses the CPU's
/// dot-product instructions (AVX-512 VNNI, AVX-VNNI, AMX). Candidates attend through int8 tables of
/// the history (`SequenceModel+Int8Attention`); the history's own attention and everything
/// element-wise stay f32.
public enum DenseMode: String, Sendable, CaseIterable {
    case f32, int8

    /// `requested`, or f32 with the reason when this CPU has no int8 dot-product instructions
    /// (int8 GEMM without them is slower than f32).
    public static func available(_ requested: DenseMode) -> (mode: DenseMode, note: String?) {
        guard requested == .int8, !CPU.current.hasInt8DotProduct else { return (requested, nil) }
        return (.f32, "this CPU has no int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI or AMX): dense layers stay f32")
    }
}

/// A weight matrix `[inputs, outputs]` as int8 with one scale per output column: column c holds
/// round(w / scale[c]) with scale[c] = max |w[., c]| / 127, so w ≈ value × scale[c].
public final class QuantizedMatrix: @unchecked Sendable {
    public let inputs: Int
    public let outputs: Int
    let values: UnsafeMutablePointer<Int8>
    public let scales: [Float]

    public init(_ weight: Tensor) {
        precondition(weight.shape.count == 2, "a weight matrix")
        (inputs, outputs) = (weight.shape[0], weight.shape[1])
        var scales = [Float](repeating: 1, count: outputs)
        for c in 0..<outputs {
            var largest: Float = 0
            for r in 0..<inputs { largest = max(largest, abs(weight.data[r * outputs + c])) }
            if largest > 0 { scales[c] = largest / 127 }
        }
        values = .allocate(capacity: max(inputs * outputs, 1))
        for r in 0..<inputs {
            for c in 0..<outputs {
                let v = (weight.data[r * outputs + c] / scales[c]).rounded(.toNearestOrEven)
                values[r * outputs + c] = Int8(min(max(v, -127), 127))
            }
        }
        self.scales = scales
    }

    deinit { values.deallocate() }
}
