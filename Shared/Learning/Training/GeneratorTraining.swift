import Dataset
import Foundation
import Model

/// Trains the generator on next-item prediction with the scorer's encoder frozen: each example is
/// a training prefix encoded by the served model (the history keys and values the generator will
/// see in serving) and the next item's semantic ID as teacher-forced targets. Adam on mini-batches;
/// the weights of the epoch with the best validation recall are kept.
public struct GeneratorTraining {
    public struct Options: Sendable {
        public var epochs = 20
        public var learningRate: Float = 0.002
        public var samplesPerUser = 12
        public var batch = 32
        public var seed: UInt64 = 1
        /// Epochs without a better validation recall before stopping.
        public var patience = 4
        /// Beam width for the validation recall (recall@width of the validation targets).
        public var validationBeam = 50
        public init() {}
    }

    /// One epoch's outcome, for progress lines.
    public struct Epoch: Sendable {
        public var index: Int
        public var loss: Double
        public var examples: Int
        public var seconds: Double
        public var validationRecall: Double
    }

    public let file: ModelFile
    public let ids: SemanticIDs
    public let split: LeaveOneOutSplit
    public let options: Options
    let encoder: LocalRecommender

    public init(file: ModelFile, split: LeaveOneOutSplit, options: Options) {
        precondition(file.itemTable != nil && file.semanticIDs != nil, "training the generator needs the item table and semantic IDs")
        self.file = file
        ids = file.semanticIDs!
        self.split = split
        self.options = options
        encoder = LocalRecommender(file: file)
    }

    /// Trains from `start` (random weights when nil); `recall` measures a weight set on the
    /// validation split (the caller runs beam search); `progress` sees every epoch.
    public func train(
        from start: GeneratorWeights? = nil, recall: (GeneratorWeights) -> Double, progress: (Epoch) -> Void
    ) -> (weights: GeneratorWeights, recall: Double) {
        let config = file.config
        var pass = GeneratorPass(
            config: config,
            weights: start ?? .random(config: config, levels: ids.levels, codes: ids.codesPerLevel, seed: options.seed), ids: ids)
        var adam = Adam(learningRate: options.learningRate)
        var rng = SeededRandom(seed: options.seed &+ 17)
        let workspace = Workspace()
        var best = (weights: pass.weights, recall: recall(pass.weights))
        var sinceBest = 0
        for epoch in 1...options.epochs {
            let started = Date()
            var examples: [(history: [Int64], target: Int64)] = []
            for user in split.training.indices {
                let sequence = split.training[user]
                guard sequence.count >= 2 else { continue }
                for _ in 0..<options.samplesPerUser {
                    let target = Int.random(in: 1..<sequence.count, using: &rng)
                    examples.append((Array(sequence[max(0, target - config.maxHistory)..<target]), sequence[target]))
                }
            }
            examples.shuffle(using: &rng)
            var totalLoss = 0.0
            var start = 0
            while start < examples.count {
                let batch = examples[start..<min(start + options.batch, examples.count)]
                var gradients: [Matrix]? = pass.zeroGradients()
                for example in batch {
                    let kv = encoder.encode(history: example.history, workspace: workspace)
                    totalLoss += Double(pass.loss(history: kv, code: Array(ids.code(of: Int(example.target))), gradients: &gradients))
                }
                var weights = pass.tensors.flatMap(\.data)
                let scale = 1 / Float(batch.count)
                adam.step(&weights, gradient: gradients!.flatMap { $0.data.map { $0 * scale } })
                var at = 0
                for index in pass.tensors.indices {
                    let count = pass.tensors[index].data.count
                    pass.tensors[index].data = Array(weights[at..<(at + count)])
                    at += count
                }
                start += batch.count
            }
            let validation = recall(pass.weights)
            progress(
                Epoch(
                    index: epoch, loss: totalLoss / Double(examples.count), examples: examples.count,
                    seconds: Date().timeIntervalSince(started), validationRecall: validation))
            if validation > best.recall {
                best = (pass.weights, validation)
                sinceBest = 0
            } else {
                sinceBest += 1
                if sinceBest >= options.patience { break }
            }
        }
        return best
    }
}
