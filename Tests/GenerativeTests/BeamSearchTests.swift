import Foundation
import Generative
import Model
import TestSupport
import Testing

@Suite struct BeamSearchTests {
    /// A small random model with random semantic IDs and a random generator, and a history's KV.
    static func setup(items: Int, levels: Int, codes: Int, seed: UInt64) -> (Generator, HistoryKV) {
        let model = Fixtures.randomModel(items: items, dim: 16, heads: 2, layers: 2, maxHistory: 12, seed: seed)
        let ids = ResidualQuantizer.randomIDs(count: items, levels: levels, codesPerLevel: codes, seed: seed)
        let weights = GeneratorWeights.random(config: model.config, levels: levels, codes: codes, seed: seed + 1)
        let generator = Generator(config: model.config, weights: weights, ids: ids)
        let history: [Int64] = (0..<9).map { Int64(($0 * 7 + Int(seed)) % items) }
        let rows = history.flatMap { Array(UnsafeBufferPointer(start: model.itemTable!.data + Int($0) * 16, count: 16)) }
        let kv = rows.withUnsafeBufferPointer {
            SequenceModel(file: model).encodeHistory(itemRows: $0.baseAddress!, length: history.count, workspace: Workspace())
        }
        return (generator, kv)
    }

    @Test func aBeamAsWideAsTheCatalogFindsExactlyTheBruteForceRanking() {
        let (generator, kv) = Self.setup(items: 40, levels: 3, codes: 4, seed: 3)
        let ids = generator.ids
        // Brute force: every item's code scored on its own.
        let alone = (0..<40).map { item in generator.logProbabilities(of: [Array(ids.code(of: item))], history: kv)[0] }
        let ranked = (0..<40).sorted { alone[$0] != alone[$1] ? alone[$0] > alone[$1] : $0 < $1 }
        let total = alone.reduce(Float(0)) { $0 + Foundation.exp($1) }
        #expect(abs(total - 1) < 1e-4)  // the constrained distribution covers exactly the catalog
        let generated = generator.beamSearch(history: kv, width: 40)
        #expect(generated.map(\.item) == ranked)
        for g in generated { #expect(abs(g.logProbability - alone[g.item]) < 1e-5) }
        // A narrower beam returns distinct valid items, best first.
        let narrow = generator.beamSearch(history: kv, width: 7)
        #expect(narrow.count == 7 && Set(narrow.map(\.item)).count == 7)
        #expect(zip(narrow, narrow.dropFirst()).allSatisfy { $0.logProbability >= $1.logProbability })
        #expect(narrow.first?.item == ranked.first)
    }

    @Test func batchedSequencesScoreAsEachDoesAlone() {
        let (generator, kv) = Self.setup(items: 300, levels: 3, codes: 8, seed: 5)
        let codes = (0..<64).map { Array(generator.ids.code(of: ($0 * 37) % 300)) }
        let batched = generator.logProbabilities(of: codes, history: kv)
        for (index, code) in codes.enumerated() {
            let alone = generator.logProbabilities(of: [code], history: kv)[0]
            #expect(abs(batched[index] - alone) <= 1e-5 * max(1, abs(alone)))
        }
    }

    /// 10,000 random histories against a catalog of ML-100K's size: every generated item is real.
    @Test func generatedItemsAreAlwaysRealItems() {
        let (generator, _) = Self.setup(items: 1_682, levels: 3, codes: 32, seed: 7)
        let model = Fixtures.randomModel(items: 1_682, dim: 16, heads: 2, layers: 2, maxHistory: 12, seed: 7)
        let sequence = SequenceModel(file: model)
        let workspace = Workspace()
        var random = SeededRandom(seed: 11)
        var seen = Set<Int>()
        for _ in 0..<10_000 {
            let length = Int.random(in: 1...12, using: &random)
            let rows = (0..<length).flatMap { _ in
                let item = Int.random(in: 0..<1_682, using: &random)
                return Array(UnsafeBufferPointer(start: model.itemTable!.data + item * 16, count: 16))
            }
            let kv = rows.withUnsafeBufferPointer {
                sequence.encodeHistory(itemRows: $0.baseAddress!, length: length, workspace: workspace)
            }
            let generated = generator.beamSearch(history: kv, width: 8)
            #expect(generated.count == 8 && Set(generated.map(\.item)).count == 8)
            #expect(generated.allSatisfy { (0..<1_682).contains($0.item) })
            seen.formUnion(generated.map(\.item))
        }
        #expect(seen.count > 100)  // different histories reach different items
    }

    /// The linear-time selection of the best extensions equals sorting them all, ties included.
    @Test func selectingTheBestEqualsAFullSort() {
        var random = SeededRandom(seed: 21)
        for trial in 0..<200 {
            let n = Int.random(in: 1...600, using: &random)
            // Coarse scores, so many tie and the tie order (lower option first) matters.
            let scores = (0..<n).map { _ in Float(Int.random(in: -20...0, using: &random)) / 4 }
            let options = (0..<n).map { $0 * 7 + trial % 7 }
            let count = Int.random(in: 1...n, using: &random)
            let sorted = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : options[$0] < options[$1] }
            #expect(Generator.best(scores: scores, options: options, count: count) == sorted.prefix(count).map { options[$0] })
        }
    }
}
