import Foundation
import Model

/// Forward and backward of each layer the model uses, as pure functions over `Matrix`.
///
/// Each forward returns what its backward needs; each backward takes the gradient of the loss with
/// respect to the layer's output and returns the gradients of its inputs and parameters.
public enum Layers {
    // MARK: Linear: y = x · W + b

    public struct LinearGradients {
        public var input: Matrix
        public var weight: Matrix
        public var bias: [Float]
    }

    public static func linear(_ x: Matrix, _ weight: Matrix, _ bias: [Float]) -> Matrix {
        Matrix.product(x, weight).addingRowVector(bias)
    }

    public static func linearBackward(_ dy: Matrix, input x: Matrix, weight: Matrix) -> LinearGradients {
        LinearGradients(
            input: Matrix.product(dy, weight, transposeB: true), weight: Matrix.product(x, dy, transposeA: true),
            bias: dy.columnSums())
    }

    // MARK: LayerNorm (eps 1e-5, as the serving kernel)

    public struct LayerNormCache {
        var normalized: Matrix
        var inverseStd: [Float]
    }

    // The loops below run on raw pointers, branch-free: with subscripts and `where` filters they
    // were compiled to per-element branches and bounds checks (about 20% of a trainer's samples).

    public static func layerNorm(_ x: Matrix, weight: [Float], bias: [Float]) -> (output: Matrix, cache: LayerNormCache) {
        let (rows, cols) = (x.rows, x.cols)
        var normalized = Matrix(rows: rows, cols: cols)
        var output = Matrix(rows: rows, cols: cols)
        var inverseStd = [Float](repeating: 0, count: rows)
        x.data.withUnsafeBufferPointer { x in
            normalized.data.withUnsafeMutableBufferPointer { normalized in
                output.data.withUnsafeMutableBufferPointer { output in
                    weight.withUnsafeBufferPointer { weight in
                        bias.withUnsafeBufferPointer { bias in
                            for r in 0..<rows {
                                let row = x.baseAddress! + r * cols
                                var mean: Float = 0
                                for c in 0..<cols { mean += row[c] }
                                mean /= Float(cols)
                                var variance: Float = 0
                                for c in 0..<cols { variance += (row[c] - mean) * (row[c] - mean) }
                                let scale = 1 / (variance / Float(cols) + 1e-5).squareRoot()
                                inverseStd[r] = scale
                                let (n, o) = (normalized.baseAddress! + r * cols, output.baseAddress! + r * cols)
                                for c in 0..<cols {
                                    n[c] = (row[c] - mean) * scale
                                    o[c] = n[c] * weight[c] + bias[c]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (output, LayerNormCache(normalized: normalized, inverseStd: inverseStd))
    }

    public static func layerNormBackward(_ dy: Matrix, cache: LayerNormCache, weight: [Float]) -> (
        input: Matrix, weight: [Float], bias: [Float]
    ) {
        let (rows, cols) = (dy.rows, dy.cols)
        var dx = Matrix(rows: rows, cols: cols)
        var dWeight = [Float](repeating: 0, count: cols)
        let n = Float(cols)
        dy.data.withUnsafeBufferPointer { dy in
            cache.normalized.data.withUnsafeBufferPointer { normalized in
                dx.data.withUnsafeMutableBufferPointer { dx in
                    dWeight.withUnsafeMutableBufferPointer { dWeight in
                        weight.withUnsafeBufferPointer { weight in
                            for r in 0..<rows {
                                let (g, x, out) = (
                                    dy.baseAddress! + r * cols, normalized.baseAddress! + r * cols, dx.baseAddress! + r * cols
                                )
                                var sumDn: Float = 0
                                var sumDnN: Float = 0
                                for c in 0..<cols {
                                    let dn = g[c] * weight[c]
                                    sumDn += dn
                                    sumDnN += dn * x[c]
                                    dWeight[c] += g[c] * x[c]
                                }
                                let (meanDn, meanDnN, scale) = (sumDn / n, sumDnN / n, cache.inverseStd[r])
                                for c in 0..<cols { out[c] = scale * (g[c] * weight[c] - meanDn - x[c] * meanDnN) }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dWeight, dy.columnSums())
    }

    // MARK: ReLU

    public static func relu(_ x: Matrix) -> Matrix {
        var out = x
        out.data.withUnsafeMutableBufferPointer { Kernels.relu(CPU.current.bestPath, count: $0.count, $0.baseAddress!) }
        return out
    }

    public static func reluBackward(_ dy: Matrix, input x: Matrix) -> Matrix {
        var out = dy
        out.data.withUnsafeMutableBufferPointer { out in
            x.data.withUnsafeBufferPointer { x in
                Kernels.reluBackward(CPU.current.bestPath, count: out.count, input: x.baseAddress!, out.baseAddress!)
            }
        }
        return out
    }

    // MARK: Multi-head attention core: softmax(Q Kᵀ / sqrt(dh), masked) V

    public struct AttentionCache {
        var probabilities: [Matrix]  // per head, rows x keys
    }

    /// Query row `i` sees the keys `visibility` gives it. The softmax is the serving kernel's.
    public static func attention(q: Matrix, k: Matrix, v: Matrix, heads: Int, visibility: Visibility) -> (
        output: Matrix, cache: AttentionCache
    ) {
        let headDim = q.cols / heads
        let scale = 1 / Float(headDim).squareRoot()
        var output = Matrix(rows: q.rows, cols: q.cols)
        var probabilities: [Matrix] = []
        for h in 0..<heads {
            var scores = Matrix.product(
                q.columns(h * headDim, headDim), k.columns(h * headDim, headDim), transposeB: true, alpha: scale)
            let (rows, cols) = (scores.rows, scores.cols)
            scores.data.withUnsafeMutableBufferPointer {
                Kernels.maskedSoftmaxRows(CPU.current.bestPath, rows: rows, cols: cols, $0.baseAddress!, ld: cols, visibility: visibility)
            }
            output.setColumns(h * headDim, from: Matrix.product(scores, v.columns(h * headDim, headDim)))
            probabilities.append(scores)
        }
        return (output, AttentionCache(probabilities: probabilities))
    }

    public static func attentionBackward(_ dOut: Matrix, q: Matrix, k: Matrix, v: Matrix, heads: Int, cache: AttentionCache)
        -> (q: Matrix, k: Matrix, v: Matrix)
    {
        let headDim = q.cols / heads
        let scale = 1 / Float(headDim).squareRoot()
        var dq = Matrix(rows: q.rows, cols: q.cols)
        var dk = Matrix(rows: k.rows, cols: k.cols)
        var dv = Matrix(rows: v.rows, cols: v.cols)
        for h in 0..<heads {
            let p = cache.probabilities[h]
            let dOutHead = dOut.columns(h * headDim, headDim)
            dv.setColumns(h * headDim, from: Matrix.product(p, dOutHead, transposeA: true))
            let dp = Matrix.product(dOutHead, v.columns(h * headDim, headDim), transposeB: true)
            var ds = dp
            for r in 0..<p.rows {
                var dot: Float = 0
                for c in 0..<p.cols { dot += dp[r, c] * p[r, c] }
                for c in 0..<p.cols { ds[r, c] = p[r, c] * (dp[r, c] - dot) * scale }
            }
            dq.setColumns(h * headDim, from: Matrix.product(ds, k.columns(h * headDim, headDim)))
            dk.setColumns(h * headDim, from: Matrix.product(ds, q.columns(h * headDim, headDim), transposeA: true))
        }
        return (dq, dk, dv)
    }

    // MARK: Loss: sampled softmax (cross-entropy of the target among its candidates)

    /// `-log softmax(logits)[target]` and its gradient `softmax - onehot(target)`.
    public static func sampledSoftmax(logits: [Float], target: Int) -> (loss: Float, gradient: [Float]) {
        let maximum = logits.max() ?? 0
        let exps = logits.map { Foundation.exp($0 - maximum) }
        let total = exps.reduce(0, +)
        var gradient = exps.map { $0 / total }
        let loss = -(logits[target] - maximum - Foundation.log(total))
        gradient[target] -= 1
        return (loss, gradient)
    }

    // MARK: Loss: binary cross-entropy on logits

    /// Mean loss over the logits and its gradient with respect to each logit.
    public static func binaryCrossEntropy(logits: [Float], labels: [Float]) -> (loss: Float, gradient: [Float]) {
        var loss: Float = 0
        var gradient = [Float](repeating: 0, count: logits.count)
        let n = Float(logits.count)
        for (i, s) in logits.enumerated() {
            // softplus(s) - y s, computed stably.
            loss += max(s, 0) - labels[i] * s + Foundation.log1p(Foundation.exp(-abs(s)))
            gradient[i] = (1 / (1 + Foundation.exp(-s)) - labels[i]) / n
        }
        return (loss / n, gradient)
    }
}
