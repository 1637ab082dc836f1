import Dataset
import Model

/// One generator training example: a training prefix and the item that followed it.
public struct GeneratorExample: Sendable {
    public var history: [Int64]
    public var target: Int64
}

/// The generator's training objective with the scorer's encoder frozen: every prefix is encoded by
/// the model (the history keys and values the generator sees in serving) and the next item's
/// semantic ID is the teacher-forced target. The trainer owns the optimizer (the parameter
/// server's Adam); this owns the examples, the loss and the flat gradient it pushes.
public struct GeneratorObjective {
    public let ids: SemanticIDs
    public private(set) var pass: GeneratorPass
    let encoder: LocalRecommender
    let workspace = Workspace()

    /// `file` needs the item table (the frozen encoder's rows) and semantic IDs.
    public init(file: ModelFile, weights: GeneratorWeights) {
        precondition(file.itemTable != nil && file.semanticIDs != nil, "the generator's objective needs the item table and semantic IDs")
        ids = file.semanticIDs!
        pass = GeneratorPass(config: file.config, weights: weights, ids: ids)
        encoder = LocalRecommender(file: file)
    }

    /// `samplesPerUser` random prefixes of each of `users`' training sequences, shuffled.
    public static func examples(
        split: LeaveOneOutSplit, users: [Int], samplesPerUser: Int, maxHistory: Int, using rng: inout SeededRandom
    ) -> [GeneratorExample] {
        var examples: [GeneratorExample] = []
        for user in users {
            let sequence = split.training[user]
            guard sequence.count >= 2 else { continue }
            for _ in 0..<samplesPerUser {
                let target = Int.random(in: 1..<sequence.count, using: &rng)
                examples.append(GeneratorExample(history: Array(sequence[max(0, target - maxHistory)..<target]), target: sequence[target]))
            }
        }
        examples.shuffle(using: &rng)
        return examples
    }

    /// The summed loss of `batch` and the mean gradient over it, flat in `GeneratorWeights.layout` order.
    public func gradient(_ batch: ArraySlice<GeneratorExample>) -> (loss: Double, gradient: [Float]) {
        var gradients: [Matrix]? = pass.zeroGradients()
        var loss = 0.0
        for example in batch {
            let kv = encoder.encode(history: example.history, workspace: workspace)
            loss += Double(pass.loss(history: kv, code: Array(ids.code(of: Int(example.target))), gradients: &gradients))
        }
        let scale = 1 / Float(max(batch.count, 1))
        return (loss, gradients!.flatMap { $0.data.map { $0 * scale } })
    }

    /// Every weight, flat in layout order (what the parameter server shares).
    public var flatWeights: [Float] { pass.tensors.flatMap(\.data) }

    public mutating func setFlatWeights(_ weights: [Float]) {
        precondition(weights.count == pass.tensors.reduce(0) { $0 + $1.data.count }, "generator weight count")
        var at = 0
        for index in pass.tensors.indices {
            let count = pass.tensors[index].data.count
            pass.tensors[index].data = Array(weights[at..<(at + count)])
            at += count
        }
    }
}
