import Model

/// The v1 model's forward pass with everything the backward pass needs, and the backward pass.
///
/// The structure is serving's: the history runs causally through the blocks; candidates run
/// through the same blocks attending only to the history's keys and values of each layer. So the
/// gradient reaches the history through those keys and values, and the logits equal serving's.
public struct TrainingModel {
    public let config: ModelConfig
    /// Dense weights by file name.
    private(set) var weights: [String: Matrix]

    public init(config: ModelConfig, weights: DenseWeights) {
        self.config = config
        var named: [String: Matrix] = [:]
        for (name, tensor) in weights.named(config) { named[name] = Matrix(tensor) }
        self.weights = named
    }

    init(config: ModelConfig, named: [String: Matrix]) {
        self.config = config
        weights = named
    }

    /// The same model with one weight moved by `delta`: what finite-difference gradient checks need.
    public func perturbed(_ name: String, index: Int, by delta: Float) -> TrainingModel {
        var named = weights
        named[name]!.data[index] += delta
        return TrainingModel(config: config, named: named)
    }

    public func parameterCount(_ name: String) -> Int { weights[name]!.data.count }

    /// Changes one dense tensor in place (optimizers).
    public mutating func update(_ name: String, _ change: (inout [Float]) -> Void) {
        change(&weights[name]!.data)
    }

    /// Replaces every dense weight from one vector in the model file's layout order (what the
    /// parameter server holds; see `DenseLayout`).
    public mutating func setFlatDense(_ flat: [Float]) {
        var offset = 0
        for entry in DenseWeights.layout(config) {
            let count = weights[entry.name]!.data.count
            weights[entry.name]!.data = Array(flat[offset..<(offset + count)])
            offset += count
        }
        precondition(offset == flat.count, "\(flat.count) dense values for \(offset) weights")
    }

    /// The current dense weights, for export and evaluation.
    public func denseWeights() -> DenseWeights {
        let tensors = DenseWeights.layout(config).map { Tensor(shape: $0.shape, values: weights[$0.name]!.data) }
        return DenseWeights(config: config, tensors: tensors)
    }

    func w(_ name: String) -> Matrix { weights[name]! }
    func v(_ name: String) -> [Float] { weights[name]!.data }

    struct BlockCache {
        var input: Matrix
        var norm1: Matrix, norm1Cache: Layers.LayerNormCache
        var query: Matrix
        var attention: Matrix, attentionCache: Layers.AttentionCache
        var afterAttention: Matrix
        var norm2: Matrix, norm2Cache: Layers.LayerNormCache
        var hiddenPre: Matrix, hidden: Matrix
        /// Dropout on the attention and FFN outputs before they join the residual stream.
        var attentionMask: Matrix?, ffnMask: Matrix?
    }

    struct LayerCache {
        var history: BlockCache
        var keys: Matrix, values: Matrix
        var candidates: BlockCache
    }

    /// Runs one block over `x`; with `keyValues` nil the tokens attend causally to their own keys
    /// and values (history), otherwise to the given ones (candidates).
    func block(_ layer: Int, _ x: Matrix, keyValues: (keys: Matrix, values: Matrix)?, masks: DropoutMasks? = nil) -> (
        output: Matrix, cache: BlockCache, keys: Matrix, values: Matrix
    ) {
        let p = "layers.\(layer)."
        let (norm1, norm1Cache) = Layers.layerNorm(x, weight: v(p + "norm1.weight"), bias: v(p + "norm1.bias"))
        let query = Layers.linear(norm1, w(p + "attn.query.weight"), v(p + "attn.query.bias"))
        let keys = keyValues?.keys ?? Layers.linear(norm1, w(p + "attn.key.weight"), v(p + "attn.key.bias"))
        let values = keyValues?.values ?? Layers.linear(norm1, w(p + "attn.value.weight"), v(p + "attn.value.bias"))
        let kvRows = keys.rows
        let (attention, attentionCache) = Layers.attention(
            q: query, k: keys, v: values, heads: config.heads, visibility: keyValues == nil ? .causal : .all(kvRows))
        let attentionMask = masks?.next(rows: x.rows, cols: x.cols)
        let afterAttention = x + Layers.linear(attention, w(p + "attn.output.weight"), v(p + "attn.output.bias")).masked(attentionMask)
        let (norm2, norm2Cache) = Layers.layerNorm(afterAttention, weight: v(p + "norm2.weight"), bias: v(p + "norm2.bias"))
        let hiddenPre = Layers.linear(norm2, w(p + "ffn.fc1.weight"), v(p + "ffn.fc1.bias"))
        let hidden = Layers.relu(hiddenPre)
        let ffnMask = masks?.next(rows: x.rows, cols: x.cols)
        let output = afterAttention + Layers.linear(hidden, w(p + "ffn.fc2.weight"), v(p + "ffn.fc2.bias")).masked(ffnMask)
        let cache = BlockCache(
            input: x, norm1: norm1, norm1Cache: norm1Cache, query: query, attention: attention, attentionCache: attentionCache,
            afterAttention: afterAttention, norm2: norm2, norm2Cache: norm2Cache, hiddenPre: hiddenPre, hidden: hidden,
            attentionMask: attentionMask, ffnMask: ffnMask)
        return (output, cache, keys, values)
    }

    /// Loss and gradients of one sample; `row` gives an item's embedding row (pulled from the
    /// embedding-server during training). With `dropout`, its seed fixes the masks, so the step
    /// stays a deterministic function of the weights (what gradient checks need); serving has no
    /// dropout, which is the identity at inference.
    public func step(
        _ sample: TrainingSample, loss lossKind: TrainingLoss = .binaryCrossEntropy, dropout: Dropout? = nil,
        row: (Int64) -> [Float]
    ) -> (
        loss: Float, logits: [Float], gradients: Gradients
    ) {
        let d = config.dim
        let n = sample.history.count
        let m = sample.candidates.count
        precondition(n <= config.maxHistory, "truncate histories to maxHistory before training")
        let historyRows = Matrix(rows: n, cols: d, data: sample.history.flatMap(row))
        let candidateRows = Matrix(rows: m, cols: d, data: sample.candidates.flatMap(row))
        let positions = w("position_embedding")
        let masks = DropoutMasks(dropout)
        var x = historyRows
        for i in 0..<n { for c in 0..<d { x[i, c] += positions[n - 1 - i, c] } }
        let historyMask = masks?.next(rows: n, cols: d)
        x = x.masked(historyMask)
        let candidateMask = masks?.next(rows: m, cols: d)
        var candidates = candidateRows.addingRowVector(v("candidate_token")).masked(candidateMask)

        var caches: [LayerCache] = []
        for layer in 0..<config.layers {
            let history = block(layer, x, keyValues: nil, masks: masks)
            let scored = block(layer, candidates, keyValues: (history.keys, history.values), masks: masks)
            caches.append(LayerCache(history: history.cache, keys: history.keys, values: history.values, candidates: scored.cache))
            x = history.output
            candidates = scored.output
        }
        let (z, finalCache) = Layers.layerNorm(candidates, weight: v("final_norm.weight"), bias: v("final_norm.bias"))
        var features = Matrix(rows: m, cols: 3 * d)
        for r in 0..<m {
            for c in 0..<d {
                features[r, c] = z[r, c]
                features[r, d + c] = candidateRows[r, c]
                features[r, 2 * d + c] = z[r, c] * candidateRows[r, c]
            }
        }
        let headPre = Layers.linear(features, w("head.fc1.weight"), v("head.fc1.bias"))
        let headHidden = Layers.relu(headPre)
        let outWeight = v("head.fc2.weight")
        let logits = (0..<m).map { r in
            zip(headHidden.row(r), outWeight).reduce(v("head.fc2.bias")[0]) { $0 + $1.0 * $1.1 }
        }
        let (loss, dLogits) =
            switch lossKind {
            case .binaryCrossEntropy: Layers.binaryCrossEntropy(logits: logits, labels: sample.labels)
            case .sampledSoftmax: Layers.sampledSoftmax(logits: logits, target: sample.labels.firstIndex(of: 1) ?? 0)
            }

        // Backward: head.
        var grads = Gradients()
        let dLogitMatrix = Matrix(rows: m, cols: 1, data: dLogits)
        grads.add("head.fc2.weight", Matrix.product(headHidden, dLogitMatrix, transposeA: true).data)
        grads.add("head.fc2.bias", [dLogits.reduce(0, +)])
        let dHidden = Matrix.product(dLogitMatrix, Matrix(rows: 1, cols: outWeight.count, data: outWeight))
        let head1 = Layers.linearBackward(Layers.reluBackward(dHidden, input: headPre), input: features, weight: w("head.fc1.weight"))
        grads.add("head.fc1.weight", head1.weight.data)
        grads.add("head.fc1.bias", head1.bias)
        var dz = Matrix(rows: m, cols: d)
        var dCandidateRows = Matrix(rows: m, cols: d)
        for r in 0..<m {
            for c in 0..<d {
                dz[r, c] = head1.input[r, c] + head1.input[r, 2 * d + c] * candidateRows[r, c]
                dCandidateRows[r, c] = head1.input[r, d + c] + head1.input[r, 2 * d + c] * z[r, c]
            }
        }
        let final = Layers.layerNormBackward(dz, cache: finalCache, weight: v("final_norm.weight"))
        grads.add("final_norm.weight", final.weight)
        grads.add("final_norm.bias", final.bias)

        // Backward: blocks, top to bottom; candidates first, their key/value gradients join the history's.
        var dCandidates = final.input
        var dx = Matrix(rows: n, cols: d)
        for layer in (0..<config.layers).reversed() {
            let cache = caches[layer]
            let candidateBack = blockBackward(
                layer, dCandidates, cache: cache.candidates, keys: cache.keys, values: cache.values, projectsKeyValues: false, grads: &grads
            )
            dCandidates = candidateBack.input
            let historyBack = blockBackward(
                layer, dx, cache: cache.history, keys: cache.keys, values: cache.values, projectsKeyValues: true, grads: &grads,
                extraKeyGradient: candidateBack.keys, extraValueGradient: candidateBack.values)
            dx = historyBack.input
        }

        // Embeddings (through their dropout masks): positions, the candidate token, the item rows.
        dx = dx.masked(historyMask)
        dCandidates = dCandidates.masked(candidateMask)
        var dPositions = [Float](repeating: 0, count: config.maxHistory * d)
        for i in 0..<n { for c in 0..<d { dPositions[(n - 1 - i) * d + c] += dx[i, c] } }
        grads.add("position_embedding", dPositions)
        grads.add("candidate_token", dCandidates.columnSums())
        for (i, id) in sample.history.enumerated() { grads.addRow(id, dx.row(i)) }
        let dCandidateTotal = dCandidates + dCandidateRows
        for (i, id) in sample.candidates.enumerated() { grads.addRow(id, dCandidateTotal.row(i)) }
        return (loss, logits, grads)
    }

    /// Backward through one block; returns the gradient of its input and of the keys and values it
    /// attended to (which, for candidates, belong to the history).
    func blockBackward(
        _ layer: Int, _ dOutput: Matrix, cache: BlockCache, keys: Matrix, values: Matrix, projectsKeyValues: Bool,
        grads: inout Gradients, extraKeyGradient: Matrix? = nil, extraValueGradient: Matrix? = nil
    ) -> (input: Matrix, keys: Matrix, values: Matrix) {
        let p = "layers.\(layer)."
        let fc2 = Layers.linearBackward(dOutput.masked(cache.ffnMask), input: cache.hidden, weight: w(p + "ffn.fc2.weight"))
        grads.add(p + "ffn.fc2.weight", fc2.weight.data)
        grads.add(p + "ffn.fc2.bias", fc2.bias)
        let fc1 = Layers.linearBackward(
            Layers.reluBackward(fc2.input, input: cache.hiddenPre), input: cache.norm2, weight: w(p + "ffn.fc1.weight"))
        grads.add(p + "ffn.fc1.weight", fc1.weight.data)
        grads.add(p + "ffn.fc1.bias", fc1.bias)
        let norm2 = Layers.layerNormBackward(fc1.input, cache: cache.norm2Cache, weight: v(p + "norm2.weight"))
        grads.add(p + "norm2.weight", norm2.weight)
        grads.add(p + "norm2.bias", norm2.bias)
        let dAfterAttention = dOutput + norm2.input

        let out = Layers.linearBackward(
            dAfterAttention.masked(cache.attentionMask), input: cache.attention, weight: w(p + "attn.output.weight"))
        grads.add(p + "attn.output.weight", out.weight.data)
        grads.add(p + "attn.output.bias", out.bias)
        let attention = Layers.attentionBackward(
            out.input, q: cache.query, k: keys, v: values, heads: config.heads, cache: cache.attentionCache)
        let query = Layers.linearBackward(attention.q, input: cache.norm1, weight: w(p + "attn.query.weight"))
        grads.add(p + "attn.query.weight", query.weight.data)
        grads.add(p + "attn.query.bias", query.bias)
        var dNorm1 = query.input
        if projectsKeyValues {
            let dKeys = extraKeyGradient.map { attention.k + $0 } ?? attention.k
            let dValues = extraValueGradient.map { attention.v + $0 } ?? attention.v
            let key = Layers.linearBackward(dKeys, input: cache.norm1, weight: w(p + "attn.key.weight"))
            let value = Layers.linearBackward(dValues, input: cache.norm1, weight: w(p + "attn.value.weight"))
            grads.add(p + "attn.key.weight", key.weight.data)
            grads.add(p + "attn.key.bias", key.bias)
            grads.add(p + "attn.value.weight", value.weight.data)
            grads.add(p + "attn.value.bias", value.bias)
            dNorm1 = dNorm1 + key.input + value.input
        }
        let norm1 = Layers.layerNormBackward(dNorm1, cache: cache.norm1Cache, weight: v(p + "norm1.weight"))
        grads.add(p + "norm1.weight", norm1.weight)
        grads.add(p + "norm1.bias", norm1.bias)
        return (dAfterAttention + norm1.input, attention.k, attention.v)
    }
}
