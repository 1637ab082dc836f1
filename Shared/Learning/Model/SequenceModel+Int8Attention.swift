/// One layer's history side of the candidates' attention on int8 dense layers.
///
/// Candidate scores for head h are q_h · K_hᵀ with q_h = x W_q,h + b_q,h, that is
/// x · (W_q,h K_hᵀ) + b_q,h K_hᵀ, and the attention output is Σ_h softmax_h · (V_h W_o,h) + b_o.
/// The history is fixed for a request, so both products with it are computed once (f32) and
/// quantized per column. Per micro-batch the scores of every head are then one int8 GEMM on the
/// block's quantized input (instead of the query projection and a 32-deep f32 GEMM per head), and
/// each head's output one u8 × s8 GEMM into the residual (instead of an f32 P·V and the output
/// projection): the f32 attention products were most of what int8 dense layers left in f32.
struct Int8AttentionLayer: Sendable {
    /// History rows n.
    let length: Int
    /// `dim x (heads * n)`: W_q,h K_hᵀ for every head side by side, int8 per column.
    let queryKeys: [Int8]
    /// Per score column: its int8 scale times log2(e) / sqrt(head dim), so scores come out in
    /// powers of two (`Kernels.softmaxCodes`).
    let scoreScales: [Float]
    /// Per score column: b_q,h · k_j times the same factor.
    let scoreBias: [Float]
    /// `heads x n x dim`: V_h W_o,h per head, int8 per column.
    let valueOutputs: [Int8]
    /// `heads x dim`: their column scales.
    let valueScales: [Float]
}

extension SequenceModel {
    /// Layer `layer`'s int8 attention tables for `rows` history keys and values (`rows x dim` each).
    /// The f32 products are scratch in `workspace`; only the tables are allocated.
    func int8Attention(
        layer: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rows n: Int, workspace: Workspace
    ) -> Int8AttentionLayer {
        let w = weights.layers[layer]
        let (d, headDim, heads) = (config.dim, config.headDim, config.heads)
        let width = heads * n
        let queryKeys = workspace.buffer(.query, count: d * width)
        let valueOutputs = workspace.buffer(.attention, count: heads * n * d)
        let factor = 1.4426950408889634 / Float(headDim).squareRoot()
        let scoreBias = uninitialized(Float.self, count: width) { bias in
            for head in 0..<heads {
                let column = head * headDim
                Kernels.gemm(
                    m: d, n: n, k: headDim, a: w.query.data + column, lda: d, b: keys + column, ldb: d, transposeB: true,
                    c: queryKeys + head * n, ldc: width)
                Kernels.gemm(
                    m: 1, n: n, k: headDim, a: w.queryBias.data + column, lda: headDim, b: keys + column, ldb: d, transposeB: true,
                    c: bias + head * n, ldc: width, alpha: factor)
                Kernels.gemm(
                    m: n, n: d, k: headDim, a: values + column, lda: d, b: w.output.data + column * d, ldb: d,
                    c: valueOutputs + head * n * d, ldc: d)
            }
        }
        var scoreScales = [Float]()
        let queryCodes = uninitialized(Int8.self, count: d * width) { codes in
            scoreScales = uninitialized(Float.self, count: width) { scales in
                Kernels.quantizeColumns(kernelPath, rows: d, cols: width, queryKeys, ld: width, into: codes, ldo: width, scales: scales)
                for c in 0..<width { scales[c] *= factor }
            }
        }
        var valueScales = [Float]()
        let valueCodes = uninitialized(Int8.self, count: heads * n * d) { codes in
            valueScales = uninitialized(Float.self, count: heads * d) { scales in
                for head in 0..<heads {
                    Kernels.quantizeColumns(
                        kernelPath, rows: n, cols: d, valueOutputs + head * n * d, ld: d, into: codes + head * n * d, ldo: d,
                        scales: scales + head * d)
                }
            }
        }
        return Int8AttentionLayer(
            length: n, queryKeys: queryCodes, scoreScales: scoreScales, scoreBias: scoreBias, valueOutputs: valueCodes,
            valueScales: valueScales)
    }

    /// Block `layer`'s first LayerNorm and attention for `rows` candidates (`x`) on the history's
    /// int8 tables, added with the output bias into the residual `x`.
    func int8CandidateAttention(
        _ layer: Int, x: UnsafeMutablePointer<Float>, rows: Int, _ table: Int8AttentionLayer, workspace: Workspace
    ) {
        let (d, heads, n) = (config.dim, config.heads, table.length)
        let width = heads * n
        let w = weights.layers[layer]
        let codes = workspace.buffer(.quantized, count: rows * d, of: Int8.self)
        let rowScales = workspace.buffer(.rowScales, count: rows)
        Kernels.layerNormQuantized(
            kernelPath, rows: rows, dim: d, x, weight: w.norm1Weight.data, bias: w.norm1Bias.data, into: codes, scales: rowScales)
        let scores = workspace.buffer(.products, count: rows * width, of: Int32.self)
        table.queryKeys.withUnsafeBufferPointer {
            Kernels.gemmS8(m: rows, n: width, k: d, a: codes, lda: d, b: $0.baseAddress!, ldb: width, c: scores, ldc: width)
        }
        let attention = workspace.buffer(.attentionCodes, count: rows * n, of: UInt8.self)
        let inverseSums = workspace.buffer(.sums, count: rows)
        let products = workspace.buffer(.headProducts, count: rows * d, of: Int32.self)
        let scratch = workspace.buffer(.scores, count: Kernels.softmaxCodesScratch(cols: n))
        let outputBias = w.outputBias.data
        for head in 0..<heads {
            table.scoreScales.withUnsafeBufferPointer { scales in
                table.scoreBias.withUnsafeBufferPointer { bias in
                    Kernels.softmaxCodes(
                        kernelPath, rows: rows, cols: n, scores + head * n, ld: width, rowScales: rowScales,
                        columnScales: scales.baseAddress! + head * n, columnBias: bias.baseAddress! + head * n, into: attention, ldc: n,
                        inverseSums: inverseSums, scratch: scratch)
                }
            }
            table.valueOutputs.withUnsafeBufferPointer {
                Kernels.gemmU8S8(m: rows, n: d, k: n, a: attention, lda: n, b: $0.baseAddress! + head * n * d, ldb: d, c: products, ldc: d)
            }
            table.valueScales.withUnsafeBufferPointer {
                Kernels.dequantizeRows(
                    kernelPath, rows: rows, cols: d, products, rowScales: inverseSums, columnScales: $0.baseAddress! + head * d,
                    bias: head == 0 ? outputBias : nil, relu: false, accumulate: true, into: x, ld: d)
            }
        }
    }
}
