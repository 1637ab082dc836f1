import Foundation
import Model
import Ranking
import TestSupport
import Testing

@Suite struct KernelTests {
    @Test func vectorExpMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 87.9 {
            let lanes = SIMD8<Float>((0..<8).map { min(x + Float($0) * 0.0137, 87.99) })
            let fast = Kernels.exp8(lanes)
            for i in 0..<8 {
                let exact = Foundation.exp(lanes[i])
                worst = max(worst, abs(fast[i] - exact) / exact)
            }
            x += 0.1
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        #expect(Kernels.exp8(SIMD8(repeating: -Float.infinity)) == SIMD8(repeating: 0))
    }

    @Test func maskedSoftmaxRowsSumToOneAndMaskTheRest() {
        var scores: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, 0.5, 2, 2, 2, 2, 2, 2, 2, 2]
        scores.withUnsafeMutableBufferPointer {
            Kernels.maskedSoftmaxRows(rows: 2, cols: 10, $0.baseAddress!, ld: 10, visible: { $0 == 0 ? 3 : 10 })
        }
        let first = Array(scores[0..<10])
        let e: [Float] = [1, 2, 3].map { Foundation.exp($0 - 3) }
        let total = e.reduce(0, +)
        for i in 0..<3 { #expect(abs(first[i] - e[i] / total) < 1e-6) }
        #expect(first[3...].allSatisfy { $0 == 0 })
        #expect(abs(scores[10..<20].reduce(0, +) - 1) < 1e-6)
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
