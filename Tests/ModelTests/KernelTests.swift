import Foundation
import Model
import Ranking
import TestSupport
import Testing

@Suite struct KernelTests {
    /// Every kernel path this CPU runs (generic always; AVX2 and AVX-512 when present).
    static let paths = CPU.current.supportedPaths

    @Test(arguments: paths)
    func expMatchesLibm(path: KernelPath) {
        let inputs = stride(from: Float(-87), to: 88, by: 0.0137).map { $0 }
        let fast = Kernels.exp(path, inputs)
        var worst: Float = 0
        for (x, y) in zip(inputs, fast) {
            let exact = Foundation.exp(x)
            worst = max(worst, abs(y - exact) / exact)
        }
        #expect(worst < 5e-7, "worst relative error \(worst) on \(path)")
        #expect(Kernels.exp(path, [-.infinity, -100, .nan]) == [0, 0, 0])
    }

    @Test(arguments: paths)
    func maskedSoftmaxRowsSumToOneAndMaskTheRest(path: KernelPath) {
        // 3 rows of 37 columns (not a multiple of any vector width), causal: row r sees r + 1 + 17.
        let cols = 37
        var scores = (0..<(3 * cols)).map { Float(($0 * 7919) % 23) / 4 - 2 }
        let original = scores
        let visibility = Visibility(first: 18, step: 1)
        scores.withUnsafeMutableBufferPointer {
            Kernels.maskedSoftmaxRows(path, rows: 3, cols: cols, $0.baseAddress!, ld: cols, visibility: visibility)
        }
        for r in 0..<3 {
            let count = visibility.count(row: r)
            let row = Array(original[(r * cols)..<(r * cols + count)])
            let e = row.map { Foundation.exp($0 - row.max()!) }
            let total = e.reduce(0, +)
            for c in 0..<count { #expect(abs(scores[r * cols + c] - e[c] / total) < 1e-6) }
            #expect(scores[(r * cols + count)..<((r + 1) * cols)].allSatisfy { $0 == 0 })
        }
    }

    @Test(arguments: paths)
    func layerNormAndBiasActivationMatchTheGenericPath(path: KernelPath) {
        let rows = 5
        let dim = 64
        let x = (0..<(rows * dim)).map { Float(($0 * 31) % 17) / 3 - 2 }
        let weight = (0..<dim).map { 1 + Float($0 % 5) / 10 }
        let bias = (0..<dim).map { Float($0 % 3) / 10 - 0.1 }
        func run(_ path: KernelPath) -> [Float] {
            var out = [Float](repeating: 0, count: rows * dim)
            out.withUnsafeMutableBufferPointer { out in
                Kernels.layerNorm(path, rows: rows, dim: dim, x, weight: weight, bias: bias, out: out.baseAddress!)
                Kernels.biasActivation(path, rows: rows, cols: dim - 3, out.baseAddress!, ld: dim, bias: bias, relu: true)
            }
            return out
        }
        let reference = run(.generic)
        let fast = run(path)
        #expect(zip(fast, reference).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        #expect(reference.contains(0) && reference.contains { $0 > 0 })
    }

    /// The whole model on each path against the generic path's naive reference.
    @Test(arguments: paths)
    func everyPathScoresLikeTheNaiveReference(path: KernelPath) {
        let file = Fixtures.randomModel(items: 2_000, seed: 11)
        let fast = LocalRecommender(model: SequenceModel(file: file, kernelPath: path), itemTable: file.itemTable!)
        let reference = LocalRecommender(model: SequenceModel(file: file, kernelPath: .generic), itemTable: file.itemTable!)
        let history = Fixtures.randomIDs(count: 77, below: 2_000, seed: 1)
        let candidates = Fixtures.randomIDs(count: 300, below: 2_000, seed: 2)
        let workspace = Workspace()
        let amortized = fast.logits(
            history: fast.encode(history: history, workspace: workspace), candidates: candidates, workspace: workspace)
        let naive = reference.naiveLogits(history: history, candidates: candidates, workspace: workspace)
        #expect(RelativeError(actual: amortized, expected: naive).worst <= 1e-4, "\(path)")
    }

    @Test(arguments: paths)
    func reluAndItsBackwardPassMatchTheDefinition(path: KernelPath) {
        // Odd length (vector tails), zeros, negative zero and both signs.
        var x: [Float] = (0..<1_003).map { i in
            let offset: Float = i % 11 == 0 ? 0.5 : 0
            return Float(i % 7) - 3 + offset
        }
        x[5] = -0.0
        let dy: [Float] = (0..<1_003).map { Float($0) * 0.25 - 100 }
        var forward = x
        forward.withUnsafeMutableBufferPointer { Kernels.relu(path, count: $0.count, $0.baseAddress!) }
        #expect(forward == x.map { $0 > 0 ? $0 : 0 })
        var backward = dy
        x.withUnsafeBufferPointer { x in
            backward.withUnsafeMutableBufferPointer {
                Kernels.reluBackward(path, count: $0.count, input: x.baseAddress!, $0.baseAddress!)
            }
        }
        #expect(backward == zip(x, dy).map { $0 > 0 ? $1 : 0 })
    }

    @Test func topKMatchesFullSortWithDeterministicTies() {
        var rng = SeededRandom(seed: 9)
        let scores = (0..<5_000).map { _ in Float(Int.random(in: 0..<300, using: &rng)) }
        let top = TopK.select(count: scores.count, k: 100, id: { Int64($0) }, score: { scores[$0] })
        let expected = scores.indices.map { ScoredItem(id: Int64($0), score: scores[$0]) }.sorted { $0.ranksBefore($1) }
        #expect(top == Array(expected.prefix(100)))
        #expect(TopK.select(count: 3, k: 10, id: { Int64($0) }, score: { Float($0) }).map(\.id) == [2, 1, 0])
        let merged = TopK.merge([Array(expected[0..<50]), Array(expected[50..<100])].reversed(), k: 20)
        #expect(merged == Array(expected.prefix(20)))
    }
}
