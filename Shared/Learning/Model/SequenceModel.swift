/// The v1 sequential recommender (DESIGN.md "Model (v1)") over immutable dense weights.
///
/// Three entry points share one transformer block:
/// - `encodeHistory`: the history once, causal, keeping each layer's keys and values;
/// - `scoreCandidates`: candidates in micro-batches against those keys and values (amortized;
///   with int8 dense layers through per-request int8 attention tables, `prepare`);
/// - `naiveScore`: the reference, the whole sequence `[history, candidate]` again with the mask.
/// Safe to share across threads; each thread brings its own `Workspace`.
public final class SequenceModel: Sendable {
    public let config: ModelConfig
    public let weights: DenseWeights
    /// Candidates per matrix-matrix pass; large enough for sgemm efficiency, small enough for cache.
    public let microBatch: Int
    /// Which compiled variant of the element-wise kernels runs (the CPU's best unless a test
    /// forces another to compare them).
    public let kernelPath: KernelPath
    /// f32, or int8 dense layers (`DenseMode`); callers choose with `DenseMode.available`.
    public let dense: DenseMode
    /// With int8 dense layers: each weight matrix's int8 form, by the f32 tensor's identity.
    let quantized: [ObjectIdentifier: QuantizedMatrix]

    public init(
        config: ModelConfig, weights: DenseWeights, microBatch: Int = 256, kernelPath: KernelPath = CPU.current.bestPath,
        dense: DenseMode = .f32
    ) {
        precondition(CPU.current.supportedPaths.contains(kernelPath), "this CPU cannot run the \(kernelPath) kernels")
        precondition(weights.layers.count == config.layers, "weights do not match config")
        // A request is one thread's work (replicas scale across cores); OpenBLAS's own threads
        // would only spin against ours.
        Kernels.useSingleThreadedBLAS()
        self.config = config
        self.weights = weights
        self.microBatch = max(1, microBatch)
        self.kernelPath = kernelPath
        self.dense = dense
        // Every matrix a `linear` multiplies by (the attention products and the head's last
        // vector stay f32).
        let matrices = weights.layers.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.ffn1, $0.ffn2] } + [weights.headFC1]
        quantized =
            dense == .int8 ? Dictionary(uniqueKeysWithValues: matrices.map { (ObjectIdentifier($0), QuantizedMatrix($0)) }) : [:]
    }

    public convenience init(
        file: ModelFile, microBatch: Int = 256, kernelPath: KernelPath = CPU.current.bestPath, dense: DenseMode = .f32
    ) {
        self.init(config: file.config, weights: file.dense, microBatch: microBatch, kernelPath: kernelPath, dense: dense)
    }

    /// Where a block's attention gets its keys and values.
    enum KeyValues {
        /// Project them from the block's own tokens, writing `rows x d` into these buffers.
        case project(keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>)
        /// Use another sequence's (the history's) `rows x d` keys and values, through their int8
        /// attention tables when given (int8 dense layers).
        case given(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rows: Int, int8: Int8AttentionLayer? = nil)
    }

    /// Runs `rows` tokens (`x`, rows x d, updated in place) through block `layer`; row `i` attends
    /// to the key/value rows `visibility` gives it.
    func block(
        _ layer: Int, x: UnsafeMutablePointer<Float>, rows: Int, keyValues: KeyValues, visibility: Visibility,
        workspace: Workspace
    ) {
        let w = weights.layers[layer]
        let d = config.dim
        if case .given(_, _, _, let table?) = keyValues {
            int8CandidateAttention(layer, x: x, rows: rows, table, workspace: workspace)
        } else {
            let normed = workspace.buffer(.normed, count: rows * d)
            Kernels.layerNorm(kernelPath, rows: rows, dim: d, x, weight: w.norm1Weight.data, bias: w.norm1Bias.data, out: normed)
            attention(layer, normed: normed, rows: rows, keyValues: keyValues, visibility: visibility, into: x, workspace: workspace)
        }

        if let fc1 = quantized[ObjectIdentifier(w.ffn1)], let fc2 = quantized[ObjectIdentifier(w.ffn2)] {
            return int8FeedForward(layer, x: x, rows: rows, fc1, fc2, workspace: workspace)
        }
        let normed = workspace.buffer(.normed, count: rows * d)
        Kernels.layerNorm(kernelPath, rows: rows, dim: d, x, weight: w.norm2Weight.data, bias: w.norm2Bias.data, out: normed)
        let hidden = workspace.buffer(.ffn, count: rows * config.ffnDim)
        linear(normed, rows: rows, inputs: d, w.ffn1, w.ffn1Bias, relu: true, into: hidden, workspace: workspace)
        linear(hidden, rows: rows, inputs: config.ffnDim, w.ffn2, w.ffn2Bias, accumulate: true, into: x, workspace: workspace)
    }

    /// Block `layer`'s attention for `rows` tokens (`normed`: their first LayerNorm), with the
    /// output projection added into the residual `x`.
    func attention(
        _ layer: Int, normed: UnsafePointer<Float>, rows: Int, keyValues: KeyValues, visibility: Visibility,
        into x: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let w = weights.layers[layer]
        let d = config.dim
        let headDim = config.headDim
        let query = workspace.buffer(.query, count: rows * d)
        linear(normed, rows: rows, inputs: d, w.query, w.queryBias, into: query, workspace: workspace)
        let keys: UnsafePointer<Float>
        let values: UnsafePointer<Float>
        let kvRows: Int
        switch keyValues {
        case .project(let keyOut, let valueOut):
            linear(normed, rows: rows, inputs: d, w.key, w.keyBias, into: keyOut, workspace: workspace)
            linear(normed, rows: rows, inputs: d, w.value, w.valueBias, into: valueOut, workspace: workspace)
            (keys, values, kvRows) = (UnsafePointer(keyOut), UnsafePointer(valueOut), rows)
        case .given(let givenKeys, let givenValues, let givenRows, _):
            (keys, values, kvRows) = (givenKeys, givenValues, givenRows)
        }

        let attention = workspace.buffer(.attention, count: rows * d)
        let scores = workspace.buffer(.scores, count: rows * kvRows)
        let inverseSums = workspace.buffer(.sums, count: rows)
        let scale = 1 / Float(headDim).squareRoot()
        for head in 0..<config.heads {
            let column = head * headDim
            Kernels.gemm(
                m: rows, n: kvRows, k: headDim, a: query + column, lda: d, b: keys + column, ldb: d, transposeB: true,
                c: scores, ldc: kvRows, alpha: scale)
            Kernels.unnormalizedSoftmaxRows(
                kernelPath, rows: rows, cols: kvRows, scores, ld: kvRows, visibility: visibility, inverseSums: inverseSums)
            Kernels.gemm(
                m: rows, n: headDim, k: kvRows, a: scores, lda: kvRows, b: values + column, ldb: d,
                c: attention + column, ldc: d)
            Kernels.scaleRows(kernelPath, rows: rows, cols: headDim, attention + column, ld: d, scales: inverseSums)
        }
        // Residual connections accumulate straight into x.
        linear(attention, rows: rows, inputs: d, w.output, w.outputBias, accumulate: true, into: x, workspace: workspace)
    }

    /// Block `layer`'s LayerNorm and FFN on int8 dense layers, added into the residual `x`: what
    /// `layerNorm` and two `linear` calls compute, bit for bit, but the normalized rows go straight
    /// to int8 (`layerNormQuantized`) and the hidden layer from the first int8 product straight to
    /// the second's int8 input (`requantizeRows`): neither is written as f32.
    func int8FeedForward(
        _ layer: Int, x: UnsafeMutablePointer<Float>, rows: Int, _ fc1: QuantizedMatrix, _ fc2: QuantizedMatrix, workspace: Workspace
    ) {
        let w = weights.layers[layer]
        let (fc1Bias, fc2Bias) = (w.ffn1Bias, w.ffn2Bias)
        let (d, hidden) = (config.dim, config.ffnDim)
        let codes = workspace.buffer(.quantized, count: rows * d, of: Int8.self)
        let rowScales = workspace.buffer(.rowScales, count: rows)
        let products = workspace.buffer(.products, count: rows * max(hidden, d), of: Int32.self)
        let hiddenCodes = workspace.buffer(.hiddenCodes, count: rows * hidden, of: Int8.self)
        let hiddenScales = workspace.buffer(.hiddenScales, count: rows)
        Kernels.layerNormQuantized(
            kernelPath, rows: rows, dim: d, x, weight: w.norm2Weight.data, bias: w.norm2Bias.data, into: codes, scales: rowScales)
        Kernels.gemmS8(m: rows, n: hidden, k: d, a: codes, lda: d, b: fc1.values, ldb: hidden, c: products, ldc: hidden)
        fc1.scales.withUnsafeBufferPointer { scales in
            Kernels.requantizeRows(
                kernelPath, rows: rows, cols: hidden, products, rowScales: rowScales, columnScales: scales.baseAddress!,
                bias: fc1Bias.data, relu: true, into: hiddenCodes, scales: hiddenScales)
        }
        Kernels.gemmS8(m: rows, n: d, k: hidden, a: hiddenCodes, lda: hidden, b: fc2.values, ldb: d, c: products, ldc: d)
        fc2.scales.withUnsafeBufferPointer { scales in
            Kernels.dequantizeRows(
                kernelPath, rows: rows, cols: d, products, rowScales: hiddenScales, columnScales: scales.baseAddress!,
                bias: fc2Bias.data, relu: false, accumulate: true, into: x, ld: d)
        }
    }

    /// Only block `layer`'s keys and values of `rows` tokens: what the history pass needs of its
    /// last block, whose attention and FFN outputs nothing reads.
    func keyValuesOnly(
        _ layer: Int, x: UnsafePointer<Float>, rows: Int, keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>,
        workspace: Workspace
    ) {
        let w = weights.layers[layer]
        let d = config.dim
        let normed = workspace.buffer(.normed, count: rows * d)
        Kernels.layerNorm(kernelPath, rows: rows, dim: d, x, weight: w.norm1Weight.data, bias: w.norm1Bias.data, out: normed)
        linear(normed, rows: rows, inputs: d, w.key, w.keyBias, into: keys, workspace: workspace)
        linear(normed, rows: rows, inputs: d, w.value, w.valueBias, into: values, workspace: workspace)
    }

    /// `out = input · weight + bias` (added to `out` when `accumulate`; then ReLU when `relu`)
    /// for `rows` rows: on the f32 GEMM, or with int8 dense layers, the input quantized per row,
    /// oneDNN's int8 GEMM and the scales, bias, residual and ReLU applied in one pass after it.
    func linear(
        _ input: UnsafePointer<Float>, rows: Int, inputs: Int, _ weight: Tensor, _ bias: Tensor, relu: Bool = false,
        accumulate: Bool = false, into out: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let outputs = weight.shape[1]
        guard let q = quantized[ObjectIdentifier(weight)] else {
            Kernels.gemm(
                m: rows, n: outputs, k: inputs, a: input, lda: inputs, b: weight.data, ldb: outputs, c: out, ldc: outputs,
                beta: accumulate ? 1 : 0)
            Kernels.biasActivation(kernelPath, rows: rows, cols: outputs, out, ld: outputs, bias: bias.data, relu: relu)
            return
        }
        let codes = workspace.buffer(.quantized, count: rows * inputs, of: Int8.self)
        let rowScales = workspace.buffer(.rowScales, count: rows)
        Kernels.quantizeRows(kernelPath, rows: rows, cols: inputs, input, ld: inputs, into: codes, scales: rowScales)
        int8Linear(codes, rowScales: rowScales, rows: rows, q, bias, relu: relu, accumulate: accumulate, into: out, workspace: workspace)
    }

    /// `linear`'s int8 half, for inputs already quantized per row.
    func int8Linear(
        _ codes: UnsafePointer<Int8>, rowScales: UnsafePointer<Float>, rows: Int, _ q: QuantizedMatrix, _ bias: Tensor, relu: Bool,
        accumulate: Bool, into out: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let (inputs, outputs) = (q.inputs, q.outputs)
        let products = workspace.buffer(.products, count: rows * outputs, of: Int32.self)
        Kernels.gemmS8(m: rows, n: outputs, k: inputs, a: codes, lda: inputs, b: q.values, ldb: outputs, c: products, ldc: outputs)
        q.scales.withUnsafeBufferPointer { scales in
            Kernels.dequantizeRows(
                kernelPath, rows: rows, cols: outputs, products, rowScales: rowScales, columnScales: scales.baseAddress!,
                bias: bias.data, relu: relu, accumulate: accumulate, into: out, ld: outputs)
        }
    }

    /// Final LayerNorm and the scoring head over `rows` candidate states `x`, whose raw item rows are
    /// `itemRows`; writes one logit per row.
    func head(
        x: UnsafeMutablePointer<Float>, itemRows: UnsafePointer<Float>, rows: Int, logits: UnsafeMutablePointer<Float>,
        workspace: Workspace
    ) {
        let d = config.dim
        Kernels.layerNorm(
            kernelPath, rows: rows, dim: d, x, weight: weights.finalNormWeight.data, bias: weights.finalNormBias.data, out: x)
        // Head input per row: [z, e, z * e].
        let hidden = workspace.buffer(.ffn, count: rows * config.headHidden)
        if let fc1 = quantized[ObjectIdentifier(weights.headFC1)] {
            // Straight to int8: what the two calls below compute, bit for bit.
            let codes = workspace.buffer(.quantized, count: rows * 3 * d, of: Int8.self)
            let rowScales = workspace.buffer(.rowScales, count: rows)
            Kernels.headFeaturesQuantized(kernelPath, rows: rows, dim: d, z: x, e: itemRows, into: codes, scales: rowScales)
            int8Linear(
                codes, rowScales: rowScales, rows: rows, fc1, weights.headFC1Bias, relu: true, accumulate: false, into: hidden,
                workspace: workspace)
        } else {
            let features = workspace.buffer(.head, count: rows * 3 * d)
            Kernels.headFeatures(kernelPath, rows: rows, dim: d, z: x, e: itemRows, out: features)
            linear(
                features, rows: rows, inputs: 3 * d, weights.headFC1, weights.headFC1Bias, relu: true, into: hidden, workspace: workspace)
        }
        Kernels.gemv(rows: rows, cols: config.headHidden, a: hidden, lda: config.headHidden, x: weights.headFC2.data, y: logits)
        let bias = weights.headFC2Bias.data[0]
        for r in 0..<rows { logits[r] += bias }
    }

    /// Writes history token `i` of `length`: its item row plus the position counted back from the
    /// most recent item (so truncating old items never shifts what a position means).
    func embedHistory(_ itemRows: UnsafePointer<Float>, length: Int, into x: UnsafeMutablePointer<Float>) {
        let d = config.dim
        for i in 0..<length {
            let position = weights.positions.data + (length - 1 - i) * d
            for c in 0..<d { x[i * d + c] = itemRows[i * d + c] + position[c] }
        }
    }

    /// Candidate token `j`: its item row plus the candidate token (the bias kernel adds it: the
    /// scalar loop this was cost 2% of an int8 request).
    func embedCandidates(_ itemRows: UnsafePointer<Float>, count: Int, into x: UnsafeMutablePointer<Float>) {
        let d = config.dim
        x.update(from: itemRows, count: count * d)
        Kernels.biasActivation(kernelPath, rows: count, cols: d, x, ld: d, bias: weights.candidateToken.data, relu: false)
    }
}
