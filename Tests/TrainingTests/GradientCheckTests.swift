import Foundation
import Model
import TestSupport
import Testing
import Training

/// Every backward pass against central finite differences of its forward pass.
@Suite struct GradientCheckTests {
    static let epsilon: Float = 1e-3

    /// |analytic - numeric| within 5% of their size, or 3e-4 absolute for tiny gradients.
    static func agree(_ analytic: Float, _ numeric: Float) -> Bool {
        abs(analytic - numeric) <= 3e-4 + 0.05 * max(abs(analytic), abs(numeric))
    }

    static func random(_ rows: Int, _ cols: Int, seed: UInt64, scale: Float = 1) -> Matrix {
        var rng = SeededRandom(seed: seed)
        return Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in scale * rng.normal() })
    }

    /// Checks d(sum(f(x) * r))/dx for every element of x.
    static func check(_ x: Matrix, analytic: Matrix, _ f: (Matrix) -> Matrix, r: Matrix, _ what: String) {
        for i in 0..<x.data.count {
            var plus = x
            plus.data[i] += epsilon
            var minus = x
            minus.data[i] -= epsilon
            let lossPlus = zip(f(plus).data, r.data).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let lossMinus = zip(f(minus).data, r.data).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let numeric = (lossPlus - lossMinus) / (2 * epsilon)
            #expect(agree(analytic.data[i], numeric), "\(what)[\(i)]: analytic \(analytic.data[i]) numeric \(numeric)")
        }
    }

    @Test func linear() {
        let x = Self.random(4, 3, seed: 1)
        let weight = Self.random(3, 5, seed: 2)
        let bias: [Float] = [0.1, -0.2, 0.3, 0, 0.5]
        let r = Self.random(4, 5, seed: 3)
        let grads = Layers.linearBackward(r, input: x, weight: weight)
        Self.check(x, analytic: grads.input, { Layers.linear($0, weight, bias) }, r: r, "linear input")
        Self.check(weight, analytic: grads.weight, { Layers.linear(x, $0, bias) }, r: r, "linear weight")
        #expect(grads.bias == r.columnSums())
    }

    @Test func layerNorm() {
        let x = Self.random(3, 8, seed: 4)
        let gamma = Self.random(1, 8, seed: 5).data.map { 1 + 0.1 * $0 }
        let beta = Self.random(1, 8, seed: 6).data
        let r = Self.random(3, 8, seed: 7)
        let (_, cache) = Layers.layerNorm(x, weight: gamma, bias: beta)
        let grads = Layers.layerNormBackward(r, cache: cache, weight: gamma)
        Self.check(x, analytic: grads.input, { Layers.layerNorm($0, weight: gamma, bias: beta).output }, r: r, "layernorm input")
        Self.check(
            Matrix(rows: 1, cols: 8, data: gamma), analytic: Matrix(rows: 1, cols: 8, data: grads.weight),
            { Layers.layerNorm(x, weight: $0.data, bias: beta).output }, r: r, "layernorm weight")
    }

    @Test(arguments: [true, false])
    func maskedAttention(causal: Bool) {
        let q = Self.random(5, 4, seed: 8)
        let k = Self.random(5, 4, seed: 9)
        let v = Self.random(5, 4, seed: 10)
        let r = Self.random(5, 4, seed: 11)
        let visibility: Visibility = causal ? .causal : .all(3)
        let (_, cache) = Layers.attention(q: q, k: k, v: v, heads: 2, visibility: visibility)
        let grads = Layers.attentionBackward(r, q: q, k: k, v: v, heads: 2, cache: cache)
        Self.check(
            q, analytic: grads.q, { Layers.attention(q: $0, k: k, v: v, heads: 2, visibility: visibility).output }, r: r, "attention q")
        Self.check(
            k, analytic: grads.k, { Layers.attention(q: q, k: $0, v: v, heads: 2, visibility: visibility).output }, r: r, "attention k")
        Self.check(
            v, analytic: grads.v, { Layers.attention(q: q, k: k, v: $0, heads: 2, visibility: visibility).output }, r: r, "attention v")
        if !causal {
            // Masked-out keys get no gradient.
            #expect((0..<5).allSatisfy { row in (0..<4).allSatisfy { grads.k[3, $0] == 0 && grads.k[4, $0] == 0 && row >= 0 } })
        }
    }

    @Test func sampledSoftmaxLoss() {
        let logits: [Float] = [0.5, 2, -1, 0.3]
        let (loss, gradient) = Layers.sampledSoftmax(logits: logits, target: 0)
        let exps = logits.map { Foundation.exp($0) }
        #expect(abs(loss - (-Foundation.log(exps[0] / exps.reduce(0, +)))) < 1e-5)
        for i in 0..<4 {
            var plus = logits
            plus[i] += Self.epsilon
            var minus = logits
            minus[i] -= Self.epsilon
            let numeric =
                (Layers.sampledSoftmax(logits: plus, target: 0).loss - Layers.sampledSoftmax(logits: minus, target: 0).loss)
                / (2 * Self.epsilon)
            #expect(Self.agree(gradient[i], numeric), "softmax[\(i)]")
        }
    }

    @Test func reluAndLoss() {
        let x = Matrix(rows: 1, cols: 4, data: [-1, 0.5, 2, -0.3])
        let r = Matrix(rows: 1, cols: 4, data: [1, 2, 3, 4])
        Self.check(x, analytic: Layers.reluBackward(r, input: x), Layers.relu, r: r, "relu")
        let logits: [Float] = [2, -1, 0.3]
        let labels: [Float] = [1, 0, 0]
        let (_, gradient) = Layers.binaryCrossEntropy(logits: logits, labels: labels)
        for i in 0..<3 {
            var plus = logits
            plus[i] += Self.epsilon
            var minus = logits
            minus[i] -= Self.epsilon
            let numeric =
                (Layers.binaryCrossEntropy(logits: plus, labels: labels).loss
                    - Layers.binaryCrossEntropy(logits: minus, labels: labels).loss)
                / (2 * Self.epsilon)
            #expect(Self.agree(gradient[i], numeric), "bce[\(i)]")
        }
    }
}

/// The whole model on a tiny config: every dense tensor and the item rows, plus equality with serving.
///
/// A smaller step than the per-layer checks: with many tokens sharing a weight, a 1e-3 step can push
/// a ReLU input across zero, and the difference quotient then measures the kink (measured: at 1e-3
/// some layer-0 biases were 20% off, at 3e-4 within 3% of the analytic value). The absolute slack
/// covers float32 rounding of the loss at that step (about 1e-7 / 6e-4).
@Suite struct WholeModelGradientTests {
    static let epsilon: Float = 3e-4

    static func agree(_ analytic: Float, _ numeric: Float) -> Bool {
        abs(analytic - numeric) <= 6e-4 + 0.05 * max(abs(analytic), abs(numeric))
    }

    static let file = Fixtures.randomModel(items: 20, dim: 8, heads: 2, layers: 2, maxHistory: 10, seed: 3)
    static let sample = TrainingSample(history: [3, 7, 7, 1, 12], candidates: [9, 3, 15, 0], labels: [1, 0, 0, 0])

    func row(_ table: [Int64: [Float]]) -> (Int64) -> [Float] { { table[$0]! } }

    static var table: [Int64: [Float]] {
        let tensor = file.itemTable!
        return Dictionary(uniqueKeysWithValues: (0..<20).map { (Int64($0), Array(UnsafeBufferPointer(start: tensor.row($0), count: 8))) })
    }

    @Test func trainingForwardEqualsServing() {
        let model = TrainingModel(config: Self.file.config, weights: Self.file.dense)
        let (_, logits, _) = model.step(Self.sample, row: row(Self.table))
        let recommender = LocalRecommender(file: Self.file)
        let workspace = Workspace()
        let serving = recommender.logits(
            history: recommender.encode(history: Self.sample.history, workspace: workspace), candidates: Self.sample.candidates,
            workspace: workspace)
        for (a, b) in zip(logits, serving) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
    }

    /// Checks `perTensor` random entries of every dense tensor's analytic gradient against central
    /// differences of `loss`; returns how many were checked.
    func checkDense(
        _ model: TrainingModel, _ gradients: Gradients, perTensor: Int, seed: UInt64, loss: (TrainingModel) -> Float
    ) -> Int {
        var rng = SeededRandom(seed: seed)
        var checked = 0
        for (name, _) in Self.file.dense.named(Self.file.config) {
            let count = model.parameterCount(name)
            let analytic = gradients.dense[name] ?? [Float](repeating: 0, count: count)
            for _ in 0..<min(perTensor, count) {
                let index = Int.random(in: 0..<count, using: &rng)
                let numeric =
                    (loss(model.perturbed(name, index: index, by: Self.epsilon))
                        - loss(model.perturbed(name, index: index, by: -Self.epsilon))) / (2 * Self.epsilon)
                #expect(Self.agree(analytic[index], numeric), "\(name)[\(index)]: analytic \(analytic[index]) numeric \(numeric)")
                checked += 1
            }
        }
        return checked
    }

    /// Checks columns `columns` of every item row's analytic gradient against central differences
    /// of `loss` over the row table; returns how many were checked.
    func checkRows(
        _ gradients: Gradients, columns: [Int], table: [Int64: [Float]], loss: ([Int64: [Float]]) -> Float
    ) -> Int {
        var checked = 0
        for id in gradients.rows.keys.sorted() {
            for c in columns {
                var plus = table
                plus[id]![c] += Self.epsilon
                var minus = table
                minus[id]![c] -= Self.epsilon
                let numeric = (loss(plus) - loss(minus)) / (2 * Self.epsilon)
                #expect(
                    Self.agree(gradients.rows[id]![c], numeric),
                    "row \(id)[\(c)]: analytic \(gradients.rows[id]![c]) numeric \(numeric)")
                checked += 1
            }
        }
        return checked
    }

    @Test func everyDenseTensorMatchesFiniteDifferences() {
        let model = TrainingModel(config: Self.file.config, weights: Self.file.dense)
        let table = Self.table
        let (_, _, gradients) = model.step(Self.sample, row: row(table))
        let checked = checkDense(model, gradients, perTensor: 6, seed: 5) { $0.step(Self.sample, row: row(table)).loss }
        #expect(checked > 100)
    }

    /// With dropout the masks come from the seed, so the same seed gives the same function of the
    /// weights: its gradients must match finite differences too, dense tensors and item rows.
    @Test func gradientsWithDropoutMasksMatchFiniteDifferences() {
        let model = TrainingModel(config: Self.file.config, weights: Self.file.dense)
        let table = Self.table
        let dropout = Dropout(rate: 0.3, seed: 17)
        let (lossWith, _, gradients) = model.step(Self.sample, dropout: dropout, row: row(table))
        // The masks change the function: without dropout the loss differs.
        #expect(lossWith != model.step(Self.sample, row: row(table)).loss)
        let checked =
            checkDense(model, gradients, perTensor: 4, seed: 6) { $0.step(Self.sample, dropout: dropout, row: row(table)).loss }
            + checkRows(gradients, columns: [0, 5], table: table) { model.step(Self.sample, dropout: dropout, row: row($0)).loss }
        #expect(checked > 80)
    }

    @Test func itemRowsMatchFiniteDifferences() {
        let model = TrainingModel(config: Self.file.config, weights: Self.file.dense)
        let table = Self.table
        let (_, _, gradients) = model.step(Self.sample, row: row(table))
        // 7 repeats in the history; 3 is in both the history and the candidates.
        #expect(Set(gradients.rows.keys) == [3, 7, 1, 12, 9, 15, 0])
        _ = checkRows(gradients, columns: Array(0..<8), table: table) { model.step(Self.sample, row: row($0)).loss }
    }
}
