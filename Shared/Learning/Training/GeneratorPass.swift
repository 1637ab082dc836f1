import Foundation
import Model

/// The generator's weights as matrices (in `GeneratorWeights.layout` order) with the forward and
/// backward pass of one example: teacher forcing over `[BOS, c1 … c(L-1)]`, cross-entropy of each
/// level's target code under the trie-constrained softmax (what beam search decodes with).
///
/// The history's keys and values are inputs, not parameters: the encoder is frozen while the
/// generator trains, so its gradient stops there.
public struct GeneratorPass: Sendable {
    public let config: ModelConfig
    public let ids: SemanticIDs
    public var tensors: [Matrix]
    let shapes: [[Int]]

    public init(config: ModelConfig, weights: GeneratorWeights, ids: SemanticIDs) {
        (self.config, self.ids) = (config, ids)
        shapes = GeneratorWeights.layout(config, levels: ids.levels, codes: ids.codesPerLevel).map(\.shape)
        tensors = zip(weights.all, shapes).map { tensor, shape in
            Matrix(rows: shape.count == 2 ? shape[0] : 1, cols: shape.last!, data: tensor.array)
        }
    }

    public var weights: GeneratorWeights {
        GeneratorWeights(
            config: config, levels: ids.levels, codes: ids.codesPerLevel,
            tensors: zip(tensors, shapes).map { Tensor(shape: $1, values: $0.data) })
    }

    // Indices into `tensors` (the layout's order).
    var levels: Int { ids.levels }
    func codeEmbedding(_ t: Int) -> Int { 2 + t }
    func layer(_ l: Int, _ offset: Int) -> Int { 2 + (levels - 1) + LayerWeights.tensorCount * l + offset }
    var finalNorm: Int { 2 + (levels - 1) + LayerWeights.tensorCount * config.layers }
    func output(_ t: Int) -> Int { finalNorm + 2 + 2 * t }
    func vector(_ index: Int) -> [Float] { tensors[index].data }

    /// What the backward pass needs of one block's forward pass.
    struct BlockCache {
        var input: Matrix
        var norm1: Layers.LayerNormCache
        var normed1: Matrix
        var q, keys, values: Matrix
        var attention: Layers.AttentionCache
        var attended: Matrix
        var afterAttention: Matrix
        var norm2: Layers.LayerNormCache
        var normed2: Matrix
        var hiddenInput, hidden: Matrix
    }

    /// The loss of one example, and its gradient for every tensor when `gradients` is given.
    public func loss(history: HistoryKV, code: [UInt16], gradients: inout [Matrix]?) -> Float {
        let (d, n, L) = (config.dim, history.length, levels)
        var x = Matrix(rows: L, cols: d)
        for t in 0..<L {
            let input = t == 0 ? tensors[0].data[...] : tensors[codeEmbedding(t - 1)].row(Int(code[t - 1]))
            for j in 0..<d { x[t, j] = input[input.startIndex + j] + tensors[1][t, j] }
        }
        var caches: [BlockCache] = []
        for l in 0..<config.layers {
            let (historyKeys, historyValues) = Self.historyRows(history, layer: l)
            let (normed1, norm1) = Layers.layerNorm(x, weight: vector(layer(l, 0)), bias: vector(layer(l, 1)))
            let q = Layers.linear(normed1, tensors[layer(l, 2)], vector(layer(l, 3)))
            let k = Layers.linear(normed1, tensors[layer(l, 4)], vector(layer(l, 5)))
            let v = Layers.linear(normed1, tensors[layer(l, 6)], vector(layer(l, 7)))
            let keys = Matrix(rows: n + L, cols: d, data: historyKeys + k.data)
            let values = Matrix(rows: n + L, cols: d, data: historyValues + v.data)
            let (attended, attention) = Layers.attention(
                q: q, k: keys, v: values, heads: config.heads, visibility: Visibility(first: n + 1, step: 1))
            let afterAttention = x + Layers.linear(attended, tensors[layer(l, 8)], vector(layer(l, 9)))
            let (normed2, norm2) = Layers.layerNorm(afterAttention, weight: vector(layer(l, 10)), bias: vector(layer(l, 11)))
            let hiddenInput = Layers.linear(normed2, tensors[layer(l, 12)], vector(layer(l, 13)))
            let hidden = Layers.relu(hiddenInput)
            let output = afterAttention + Layers.linear(hidden, tensors[layer(l, 14)], vector(layer(l, 15)))
            caches.append(
                BlockCache(
                    input: x, norm1: norm1, normed1: normed1, q: q, keys: keys, values: values, attention: attention, attended: attended,
                    afterAttention: afterAttention, norm2: norm2, normed2: normed2, hiddenInput: hiddenInput, hidden: hidden))
            x = output
        }
        let (z, finalCache) = Layers.layerNorm(x, weight: vector(finalNorm), bias: vector(finalNorm + 1))
        var loss: Float = 0
        var dz = Matrix(rows: L, cols: d)
        var prefix = 0
        for t in 0..<L {
            let row = Matrix(rows: 1, cols: d, data: Array(z.row(t)))
            let logits = Layers.linear(row, tensors[output(t)], vector(output(t) + 1)).data
            let allowed = ids.allowed(level: t, prefix: prefix)
            let target = allowed.firstIndex(of: code[t])!
            let (stepLoss, stepGradient) = Layers.sampledSoftmax(logits: allowed.map { logits[Int($0)] }, target: target)
            loss += stepLoss
            prefix = prefix * ids.codesPerLevel + Int(code[t])
            guard gradients != nil else { continue }
            var dLogits = Matrix(rows: 1, cols: ids.codesPerLevel)
            for (index, code) in allowed.enumerated() { dLogits.data[Int(code)] = stepGradient[index] }
            let g = Layers.linearBackward(dLogits, input: row, weight: tensors[output(t)])
            gradients![output(t)] = gradients![output(t)] + g.weight
            gradients![output(t) + 1].data.accumulate(g.bias[...])
            for j in 0..<d { dz[t, j] = g.input.data[j] }
        }
        guard gradients != nil else { return loss }
        let final = Layers.layerNormBackward(dz, cache: finalCache, weight: vector(finalNorm))
        gradients![finalNorm].data.accumulate(final.weight[...])
        gradients![finalNorm + 1].data.accumulate(final.bias[...])
        var dx = final.input
        for l in (0..<config.layers).reversed() {
            let c = caches[l]
            func add(_ offset: Int, _ gradient: Matrix) { gradients![layer(l, offset)] = gradients![layer(l, offset)] + gradient }
            func addBias(_ offset: Int, _ gradient: [Float]) { gradients![layer(l, offset)].data.accumulate(gradient[...]) }
            // x = afterAttention + ReLU(LN2(afterAttention) W1 + b1) W2 + b2
            let ffn2 = Layers.linearBackward(dx, input: c.hidden, weight: tensors[layer(l, 14)])
            add(14, ffn2.weight)
            addBias(15, ffn2.bias)
            let ffn1 = Layers.linearBackward(
                Layers.reluBackward(ffn2.input, input: c.hiddenInput), input: c.normed2, weight: tensors[layer(l, 12)])
            add(12, ffn1.weight)
            addBias(13, ffn1.bias)
            let norm2 = Layers.layerNormBackward(ffn1.input, cache: c.norm2, weight: vector(layer(l, 10)))
            addBias(10, norm2.weight)
            addBias(11, norm2.bias)
            let dAfterAttention = dx + norm2.input
            // afterAttention = input + attention(LN1(input)) Wo + bo
            let projection = Layers.linearBackward(dAfterAttention, input: c.attended, weight: tensors[layer(l, 8)])
            add(8, projection.weight)
            addBias(9, projection.bias)
            let (dq, dKeys, dValues) = Layers.attentionBackward(
                projection.input, q: c.q, k: c.keys, v: c.values, heads: config.heads, cache: c.attention)
            let own = (n * d)..<((n + L) * d)
            let dk = Matrix(rows: L, cols: d, data: Array(dKeys.data[own]))
            let dv = Matrix(rows: L, cols: d, data: Array(dValues.data[own]))
            let query = Layers.linearBackward(dq, input: c.normed1, weight: tensors[layer(l, 2)])
            let key = Layers.linearBackward(dk, input: c.normed1, weight: tensors[layer(l, 4)])
            let value = Layers.linearBackward(dv, input: c.normed1, weight: tensors[layer(l, 6)])
            add(2, query.weight)
            addBias(3, query.bias)
            add(4, key.weight)
            addBias(5, key.bias)
            add(6, value.weight)
            addBias(7, value.bias)
            let norm1 = Layers.layerNormBackward(query.input + key.input + value.input, cache: c.norm1, weight: vector(layer(l, 0)))
            addBias(0, norm1.weight)
            addBias(1, norm1.bias)
            dx = dAfterAttention + norm1.input
        }
        // Inputs: BOS and step embeddings, and the code embedding of each fed code.
        for t in 0..<L {
            let row = dx.row(t)
            if t == 0 {
                gradients![0].data.accumulate(row)
            } else {
                let embedding = codeEmbedding(t - 1)
                let at = Int(code[t - 1]) * d
                for j in 0..<d { gradients![embedding].data[at + j] += row[row.startIndex + j] }
            }
            for j in 0..<d { gradients![1].data[t * d + j] += row[row.startIndex + j] }
        }
        return loss
    }

    /// Zero gradients shaped like the tensors.
    public func zeroGradients() -> [Matrix] { tensors.map { Matrix(rows: $0.rows, cols: $0.cols) } }

    static func historyRows(_ history: HistoryKV, layer: Int) -> ([Float], [Float]) {
        let size = history.length * history.dim
        let range = (layer * size)..<((layer + 1) * size)
        return (Array(history.keys[range]), Array(history.values[range]))
    }
}
