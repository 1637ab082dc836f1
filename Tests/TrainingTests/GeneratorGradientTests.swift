import Foundation
import Generative
import Model
import TestSupport
import Testing
import Training

/// The generator's backward pass against central finite differences of its loss, for every
/// tensor, and its forward pass against the serving decoder's.
@Suite struct GeneratorGradientTests {
    static func setup() -> (GeneratorPass, HistoryKV, SemanticIDs) {
        let config = ModelConfig(itemCount: 40, dim: 8, heads: 2, layers: 2, ffnDim: 16, maxHistory: 10, version: "g")
        let model = try! ModelFile.random(config: config, seed: 3)
        var codes: [UInt16] = []
        for item in 0..<40 { codes += [UInt16(item / 16), UInt16(item / 4 % 4), UInt16(item % 4)] }
        let ids = try! SemanticIDs(levels: 3, codesPerLevel: 4, codes: codes)
        let weights = GeneratorWeights.random(config: config, levels: 3, codes: 4, seed: 4)
        let rows = [5, 9, 13, 2, 30, 7].flatMap { Array(UnsafeBufferPointer(start: model.itemTable!.data + $0 * 8, count: 8)) }
        let kv = rows.withUnsafeBufferPointer {
            SequenceModel(file: model).encodeHistory(itemRows: $0.baseAddress!, length: 6, workspace: Workspace())
        }
        return (GeneratorPass(config: config, weights: weights, ids: ids), kv, ids)
    }

    @Test func everyTensorsGradientMatchesFiniteDifferences() {
        let (pass, kv, ids) = Self.setup()
        let code = Array(ids.code(of: 37))
        var gradients: [Matrix]? = pass.zeroGradients()
        _ = pass.loss(history: kv, code: code, gradients: &gradients)
        var none: [Matrix]? = nil
        let epsilon: Float = 1e-3
        var rng = SeededRandom(seed: 8)
        for index in pass.tensors.indices {
            // Up to 6 entries of each tensor; for code embeddings, the rows this code feeds.
            let count = pass.tensors[index].data.count
            var entries = (0..<6).map { _ in Int.random(in: 0..<count, using: &rng) }
            if index == 2 || index == 3 {
                let row = Int(code[index - 2]) * 8
                entries = [row, row + 3, row + 7]
            }
            for entry in entries {
                var plus = pass
                plus.tensors[index].data[entry] += epsilon
                var minus = pass
                minus.tensors[index].data[entry] -= epsilon
                let numeric =
                    (plus.loss(history: kv, code: code, gradients: &none) - minus.loss(history: kv, code: code, gradients: &none))
                    / (2 * epsilon)
                let analytic = gradients![index].data[entry]
                #expect(
                    abs(analytic - numeric) <= 2e-3 + 0.05 * max(abs(analytic), abs(numeric)),
                    "tensor \(index)[\(entry)]: analytic \(analytic) numeric \(numeric)")
            }
        }
    }

    @Test func theTrainingForwardPassScoresAsTheServingDecoder() {
        let (pass, kv, ids) = Self.setup()
        let generator = Generator(config: pass.config, weights: pass.weights, ids: ids)
        var none: [Matrix]? = nil
        for item in [0, 11, 25, 39] {
            let code = Array(ids.code(of: item))
            let served = generator.logProbabilities(of: [code], history: kv)[0]
            #expect(abs(-pass.loss(history: kv, code: code, gradients: &none) - served) < 1e-4)
        }
    }
}
