import Foundation
import Model

/// Decodes semantic IDs against an encoded history: the generator's forward pass, one code level a
/// step, for many sequences (beams) at once.
///
/// Every sequence shares the history's keys and values (computed once by the encoder, as for
/// scoring); each keeps its own code tokens' keys and values across steps, so a step costs one
/// token per sequence, never a re-run of earlier steps. At each step only the codes the trie
/// allows after the sequence's prefix are possible: the log-softmax is taken over those, so every
/// generated sequence is a real item.
public struct Generator: Sendable {
    public let config: ModelConfig
    public let weights: GeneratorWeights
    public let ids: SemanticIDs
    public let path: KernelPath

    public init(config: ModelConfig, weights: GeneratorWeights, ids: SemanticIDs, path: KernelPath = CPU.current.bestPath) {
        precondition(weights.levels == ids.levels && weights.codes == ids.codesPerLevel, "generator and semantic IDs disagree")
        (self.config, self.weights, self.ids, self.path) = (config, weights, ids, path)
    }

    /// Sequences being decoded together: their prefixes' keys, summed log-probabilities and every
    /// layer's cached code-token keys and values (`[sequence][step][d]` per layer).
    public struct Batch {
        public internal(set) var prefixKeys: [Int]
        public internal(set) var codes: [[UInt16]]
        public internal(set) var logProbabilities: [Float]
        var keys: [[Float]]
        var values: [[Float]]
        public var count: Int { prefixKeys.count }
        public var step: Int { codes.first?.count ?? 0 }
    }

    public func start(sequences: Int) -> Batch {
        let size = sequences * ids.levels * config.dim
        return Batch(
            prefixKeys: Array(repeating: 0, count: sequences), codes: Array(repeating: [], count: sequences),
            logProbabilities: Array(repeating: 0, count: sequences),
            keys: Array(repeating: [Float](repeating: 0, count: size), count: config.layers),
            values: Array(repeating: [Float](repeating: 0, count: size), count: config.layers))
    }

    /// Log-probabilities of the next code for every sequence (`count x codes`, row-major): `-inf`
    /// where the trie does not allow the code. Caches this step's keys and values in `batch`.
    public func nextCodeLogProbabilities(_ batch: inout Batch, history: HistoryKV) -> [Float] {
        let (b, d, t, k) = (batch.count, config.dim, batch.step, ids.codesPerLevel)
        precondition(t < ids.levels && history.layers == config.layers && history.dim == d)
        var x = [Float](repeating: 0, count: b * d)
        for s in 0..<b {
            let input: UnsafeMutablePointer<Float> =
                t == 0 ? weights.bos.data : weights.codeEmbeddings[t - 1].data + Int(batch.codes[s][t - 1]) * d
            for j in 0..<d { x[s * d + j] = input[j] + weights.steps.data[t * d + j] }
        }
        for layer in 0..<config.layers {
            block(layer, x: &x, batch: &batch, history: history)
        }
        var logits = [Float](repeating: 0, count: b * k)
        x.withUnsafeMutableBufferPointer { x in
            Kernels.layerNorm(
                path, rows: b, dim: d, x.baseAddress!, weight: weights.finalNormWeight.data, bias: weights.finalNormBias.data,
                out: x.baseAddress!)
            logits.withUnsafeMutableBufferPointer { out in
                Kernels.gemm(m: b, n: k, k: d, a: x.baseAddress!, lda: d, b: weights.outputs[t].data, ldb: k, c: out.baseAddress!, ldc: k)
                Kernels.biasActivation(path, rows: b, cols: k, out.baseAddress!, ld: k, bias: weights.outputBiases[t].data)
            }
        }
        // The log-softmax over each sequence's allowed codes, `logit - max - log(sum of exp)`: the
        // others are masked to -inf, so the kernel's exponentials give them 0 and its per-row sums
        // cover exactly the allowed codes (one log a row, not one a code).
        var masked = [Float](repeating: -.infinity, count: b * k)
        var maxima = [Float](repeating: -.infinity, count: b)
        let allowed = (0..<b).map { ids.allowed(level: t, prefix: batch.prefixKeys[$0]) }
        for s in 0..<b {
            for code in allowed[s] {
                masked[s * k + Int(code)] = logits[s * k + Int(code)]
                maxima[s] = max(maxima[s], logits[s * k + Int(code)])
            }
        }
        var inverseSums = [Float](repeating: 0, count: b)
        masked.withUnsafeMutableBufferPointer { masked in
            inverseSums.withUnsafeMutableBufferPointer {
                Kernels.unnormalizedSoftmaxRows(
                    path, rows: b, cols: k, masked.baseAddress!, ld: k, visibility: .all(k), inverseSums: $0.baseAddress!)
            }
        }
        for s in 0..<b {
            let shift = maxima[s] - Foundation.log(inverseSums[s])  // max + log(sum of exp(logit - max))
            let row = logits[(s * k)..<((s + 1) * k)].indices
            for i in row { masked[i] = -.infinity }
            for code in allowed[s] { masked[s * k + Int(code)] = logits[s * k + Int(code)] - shift }
        }
        return masked
    }

    /// Extends sequence `parents[i]` by `codes[i]` (adding that code's log-probability): the
    /// batch becomes these sequences, their caches copied from their parents.
    public func advance(_ batch: inout Batch, parents: [Int], codes: [UInt16], logProbabilities: [Float]) {
        let (levels, d, t) = (ids.levels, config.dim, batch.step)
        var next = start(sequences: parents.count)
        let span = (t + 1) * d  // the cached steps of one sequence
        for (i, parent) in parents.enumerated() {
            next.prefixKeys[i] = batch.prefixKeys[parent] * ids.codesPerLevel + Int(codes[i])
            next.codes[i] = batch.codes[parent] + [codes[i]]
            next.logProbabilities[i] = batch.logProbabilities[parent] + logProbabilities[i]
        }
        for layer in 0..<config.layers {
            for (cache, source) in [(\Batch.keys, batch.keys[layer]), (\Batch.values, batch.values[layer])] {
                source.withUnsafeBufferPointer { from in
                    next[keyPath: cache][layer].withUnsafeMutableBufferPointer { to in
                        for (i, parent) in parents.enumerated() {
                            (to.baseAddress! + i * levels * d).update(from: from.baseAddress! + parent * levels * d, count: span)
                        }
                    }
                }
            }
        }
        batch = next
    }

    /// One decoder block over the batch's newest tokens (`x`, `count x d`), in place.
    func block(_ layer: Int, x: inout [Float], batch: inout Batch, history: HistoryKV) {
        let w = weights.layers[layer]
        let (b, d, t, levels, n) = (batch.count, config.dim, batch.step, ids.levels, history.length)
        let (heads, headDim) = (config.heads, config.headDim)
        let width = n + t + 1  // keys each token sees: the whole history, then its own steps 0...t
        var normed = [Float](repeating: 0, count: b * d)
        var q = [Float](repeating: 0, count: b * d)
        var kv = [Float](repeating: 0, count: 2 * b * d)
        var attended = [Float](repeating: 0, count: b * d)
        var scores = [Float](repeating: 0, count: b * width)
        x.withUnsafeMutableBufferPointer { x in
            normed.withUnsafeMutableBufferPointer { a in
                Kernels.layerNorm(
                    path, rows: b, dim: d, x.baseAddress!, weight: w.norm1Weight.data, bias: w.norm1Bias.data, out: a.baseAddress!)
                linear(a.baseAddress!, rows: b, w.query, w.queryBias, into: &q)
                kv.withUnsafeMutableBufferPointer { kv in
                    linear(a.baseAddress!, rows: b, w.key, w.keyBias, into: kv.baseAddress!)
                    linear(a.baseAddress!, rows: b, w.value, w.valueBias, into: kv.baseAddress! + b * d)
                }
            }
        }
        kv.withUnsafeBufferPointer { kv in
            batch.keys[layer].withUnsafeMutableBufferPointer { keys in
                batch.values[layer].withUnsafeMutableBufferPointer { values in
                    for s in 0..<b {
                        let at = (s * levels + t) * d
                        (keys.baseAddress! + at).update(from: kv.baseAddress! + s * d, count: d)
                        (values.baseAddress! + at).update(from: kv.baseAddress! + b * d + s * d, count: d)
                    }
                }
            }
        }
        let scale = 1 / Float(headDim).squareRoot()
        let (historyKeys, historyValues) = (layer * n * d, layer * n * d)
        for head in 0..<heads {
            let offset = head * headDim
            history.keys.withUnsafeBufferPointer { hk in
                q.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        // Every sequence's query against the shared history keys: one GEMM.
                        Kernels.gemm(
                            m: b, n: n, k: headDim, a: q.baseAddress! + offset, lda: d, b: hk.baseAddress! + historyKeys + offset,
                            ldb: d, transposeB: true, c: out.baseAddress!, ldc: width, alpha: scale)
                    }
                }
            }
            batch.keys[layer].withUnsafeBufferPointer { keys in
                q.withUnsafeBufferPointer { q in
                    for s in 0..<b {
                        for step in 0...t {
                            var dot: Float = 0
                            let (key, query) = (keys.baseAddress! + (s * levels + step) * d + offset, q.baseAddress! + s * d + offset)
                            for j in 0..<headDim { dot += query[j] * key[j] }
                            scores[s * width + n + step] = dot * scale
                        }
                    }
                }
            }
            scores.withUnsafeMutableBufferPointer {
                Kernels.maskedSoftmaxRows(path, rows: b, cols: width, $0.baseAddress!, ld: width, visibility: .all(width))
            }
            history.values.withUnsafeBufferPointer { hv in
                scores.withUnsafeBufferPointer { p in
                    attended.withUnsafeMutableBufferPointer { out in
                        Kernels.gemm(
                            m: b, n: headDim, k: n, a: p.baseAddress!, lda: width, b: hv.baseAddress! + historyValues + offset, ldb: d,
                            c: out.baseAddress! + offset, ldc: d)
                    }
                }
            }
            batch.values[layer].withUnsafeBufferPointer { values in
                attended.withUnsafeMutableBufferPointer { attended in
                    for s in 0..<b {
                        for step in 0...t {
                            let weight = scores[s * width + n + step]
                            let (value, out) = (
                                values.baseAddress! + (s * levels + step) * d + offset, attended.baseAddress! + s * d + offset
                            )
                            for j in 0..<headDim { out[j] += weight * value[j] }
                        }
                    }
                }
            }
        }
        var projected = [Float](repeating: 0, count: b * d)
        attended.withUnsafeBufferPointer { linear($0.baseAddress!, rows: b, w.output, w.outputBias, into: &projected) }
        for i in 0..<(b * d) { x[i] += projected[i] }
        // Feed-forward: x += ReLU(LN(x) W1 + b1) W2 + b2.
        var hidden = [Float](repeating: 0, count: b * config.ffnDim)
        x.withUnsafeBufferPointer { x in
            normed.withUnsafeMutableBufferPointer { a in
                Kernels.layerNorm(
                    path, rows: b, dim: d, x.baseAddress!, weight: w.norm2Weight.data, bias: w.norm2Bias.data, out: a.baseAddress!)
                linear(a.baseAddress!, rows: b, w.ffn1, w.ffn1Bias, into: &hidden, relu: true)
            }
        }
        hidden.withUnsafeBufferPointer { linear($0.baseAddress!, rows: b, w.ffn2, w.ffn2Bias, into: &projected) }
        for i in 0..<(b * d) { x[i] += projected[i] }
    }

    /// `out = a · weight + bias` (then ReLU when asked) for `rows` rows.
    func linear(
        _ a: UnsafePointer<Float>, rows: Int, _ weight: Tensor, _ bias: Tensor, into out: UnsafeMutablePointer<Float>, relu: Bool = false
    ) {
        let (inputs, outputs) = (weight.shape[0], weight.shape[1])
        Kernels.gemm(m: rows, n: outputs, k: inputs, a: a, lda: inputs, b: weight.data, ldb: outputs, c: out, ldc: outputs)
        Kernels.biasActivation(path, rows: rows, cols: outputs, out, ld: outputs, bias: bias.data, relu: relu)
    }

    func linear(_ a: UnsafePointer<Float>, rows: Int, _ weight: Tensor, _ bias: Tensor, into out: inout [Float], relu: Bool = false) {
        out.withUnsafeMutableBufferPointer { linear(a, rows: rows, weight, bias, into: $0.baseAddress!, relu: relu) }
    }
}
