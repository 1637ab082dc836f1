import Foundation
import Model
import Testing

/// The int8 attention's kernels (SequenceModel+Int8Attention): the same bits on every kernel path,
/// and each against its definition.
@Suite struct Int8AttentionTests {
    /// Attention weights as u8 codes: round(255 · 2^(t − max t)) per row, to within one code of
    /// the exact value (the codes' 2^x is a degree-3 polynomial), 255 at each row's maximum, the
    /// inverse of the codes' sum, and identical on every path. (37 columns: tails only; 200: three
    /// whole 64-code blocks and a tail, a W1 history.)
    @Test(arguments: CPU.current.supportedPaths, [37, 200])
    func softmaxCodesMatchTheDefinitionOnEveryPath(path: KernelPath, cols: Int) {
        let rows = 19  // more than one block of 16 rows
        let scores = (0..<(rows * cols)).map { Int32(($0 * 7_919) % 40_001) - 20_000 }
        let rowScales = (0..<rows).map { Float($0 % 5 + 1) / 20_000 }
        let columnScales = (0..<cols).map { Float(($0 * 31) % 97 + 1) / 60 }
        let columnBias = (0..<cols).map { Float(($0 * 13) % 29) / 10 - 1.5 }
        func run(_ path: KernelPath) -> (codes: [UInt8], inverseSums: [Float]) {
            var codes = [UInt8](repeating: 0, count: rows * cols)
            var inverseSums = [Float](repeating: 0, count: rows)
            Kernels.softmaxCodesForTests(
                path, rows: rows, cols: cols, scores, rowScales: rowScales, columnScales: columnScales, columnBias: columnBias,
                into: &codes, inverseSums: &inverseSums)
            return (codes, inverseSums)
        }
        let (codes, inverseSums) = run(path)
        let reference = run(.generic)
        #expect(codes == reference.codes && inverseSums == reference.inverseSums, "\(path) differs from the generic path")
        for r in 0..<rows {
            let t = (0..<cols).map { c in Double((Float(scores[r * cols + c]) * rowScales[r]) * columnScales[c] + columnBias[c]) }
            let top = t.max()!
            var total = 0
            for c in 0..<cols {
                let exact = 255 * Foundation.pow(2, t[c] - top)
                let code = Int(codes[r * cols + c])
                #expect(abs(Double(code) - exact) <= 0.52, "row \(r) col \(c): code \(code), exact \(exact)")
                total += code
            }
            #expect(codes[(r * cols)..<((r + 1) * cols)].max() == 255)
            #expect(inverseSums[r] == 1 / Float(total))
        }
    }

    /// Quantizing columns: scale = max |x| / 127 per column (1 for a zero column), codes rounded to
    /// nearest even, identical on every path. (21 columns: a tail; 150: two 64-code blocks.)
    @Test(arguments: CPU.current.supportedPaths, [21, 150])
    func quantizedColumnsMatchTheDefinitionOnEveryPath(path: KernelPath, cols: Int) {
        let rows = 7
        var x = (0..<(rows * cols)).map { Float(($0 * 7_919) % 201) / 50 - 2 }
        for r in 0..<rows { x[r * cols + 3] = 0 }
        var codes = [Int8](repeating: 0, count: rows * cols)
        var scales = [Float](repeating: 0, count: cols)
        Kernels.quantizeColumnsForTests(path, rows: rows, cols: cols, x, into: &codes, scales: &scales)
        for c in 0..<cols {
            let largest = (0..<rows).map { abs(x[$0 * cols + c]) }.max()!
            let scale = largest > 0 ? largest / 127 : 1
            #expect(scales[c] == scale, "column \(c)")
            for r in 0..<rows {
                #expect(codes[r * cols + c] == Int8((x[r * cols + c] * (1 / scale)).rounded(.toNearestOrEven)), "row \(r) col \(c)")
            }
        }
    }

    /// The fused LayerNorm-then-quantize gives what the two kernels give, bit for bit, on every path
    /// (64: the model's width and the fused AVX-512 kernel; 48: the row-by-row fallback).
    @Test(arguments: CPU.current.supportedPaths, [64, 48])
    func layerNormQuantizedEqualsLayerNormThenQuantize(path: KernelPath, dim: Int) {
        let rows = 9
        let x = (0..<(rows * dim)).map { Float(($0 * 31) % 17) / 3 - 2 + Float($0 / dim) }
        let weight = (0..<dim).map { 1 + Float($0 % 5) / 10 }
        let bias = (0..<dim).map { Float($0 % 3) / 10 - 0.1 }
        var fused = [Int8](repeating: 0, count: rows * dim)
        var fusedScales = [Float](repeating: 0, count: rows)
        Kernels.layerNormQuantizedForTests(path, rows: rows, dim: dim, x, weight: weight, bias: bias, into: &fused, scales: &fusedScales)
        var normed = [Float](repeating: 0, count: rows * dim)
        normed.withUnsafeMutableBufferPointer {
            Kernels.layerNorm(path, rows: rows, dim: dim, x, weight: weight, bias: bias, out: $0.baseAddress!)
        }
        var codes = [Int8](repeating: 0, count: rows * dim)
        var scales = [Float](repeating: 0, count: rows)
        Kernels.quantizeRowsForTests(path, rows: rows, cols: dim, normed, into: &codes, scales: &scales)
        #expect(fused == codes)
        #expect(fusedScales == scales)
    }

    /// The fused head input (`[z, e, z · e]` quantized) gives what the two kernels give, bit for
    /// bit, on every path (64: the fused AVX-512 kernel over two blocks of 16 rows; 48: row by row).
    @Test(arguments: CPU.current.supportedPaths, [64, 48])
    func headFeaturesQuantizedEqualsFeaturesThenQuantize(path: KernelPath, dim: Int) {
        let rows = 21
        let z = (0..<(rows * dim)).map { Float(($0 * 31) % 17) / 3 - 2 }
        var e = (0..<(rows * dim)).map { Float(($0 * 7) % 23) / 5 - 2.5 }
        for c in 0..<dim { e[4 * dim + c] = 0 }
        var fused = [Int8](repeating: 0, count: rows * 3 * dim)
        var fusedScales = [Float](repeating: 0, count: rows)
        Kernels.headFeaturesQuantizedForTests(path, rows: rows, dim: dim, z: z, e: e, into: &fused, scales: &fusedScales)
        var features = [Float](repeating: 0, count: rows * 3 * dim)
        features.withUnsafeMutableBufferPointer { Kernels.headFeatures(path, rows: rows, dim: dim, z: z, e: e, out: $0.baseAddress!) }
        var codes = [Int8](repeating: 0, count: rows * 3 * dim)
        var scales = [Float](repeating: 0, count: rows)
        Kernels.quantizeRowsForTests(path, rows: rows, cols: 3 * dim, features, into: &codes, scales: &scales)
        #expect(fused == codes)
        #expect(fusedScales == scales)
    }
}
