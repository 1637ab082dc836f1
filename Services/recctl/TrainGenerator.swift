import ArgumentParser
import Dataset
import Evaluation
import Foundation
import Generative
import Model
import Training

struct TrainGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-generator",
        abstract: "Train the generator (generative retrieval) of a model that has semantic IDs, on MovieLens-100K.",
        discussion: """
            The model's encoder is frozen: every training prefix is encoded by it, and the generator learns to decode the \
            next item's semantic ID against those keys and values (teacher forcing, cross-entropy under the trie). Keeps \
            the epoch with the best validation recall@--validation-beam and writes the model with the generator.
            """)

    @Option(help: "Model file with semantic IDs (recctl semantic-ids).")
    var model: String
    @Option(name: .shortAndLong, help: "Where to write the model with its generator (default: replace --model).")
    var output: String?
    @Option(help: "Folder with ml-100k.inter (scripts/fetch-movielens.sh).")
    var data = "data/ml-100k"
    @Option(help: "Maximum epochs.")
    var epochs = 20
    @Option(help: "Adam's learning rate.")
    var learningRate: Float = 0.002
    @Option(help: "Training prefixes drawn per user each epoch.")
    var samplesPerUser = 12
    @Option(help: "Examples per Adam step.")
    var batch = 32
    @Option(help: "Epochs without a better validation recall before stopping.")
    var patience = 4
    @Option(help: "Beam width of the validation recall.")
    var validationBeam = 50
    @Option(help: "Seed of the initial weights and the sampling.")
    var seed: UInt64 = 1
    @Option(help: "Version of the written model (default: the input's version with -gen).")
    var version: String?

    func validate() throws {
        guard epochs >= 1, samplesPerUser >= 1, batch >= 1, patience >= 1, validationBeam >= 1, learningRate > 0 else {
            throw ValidationError(
                "--epochs, --samples-per-user, --batch, --patience, --validation-beam and --learning-rate must be positive")
        }
    }

    func run() throws {
        let file = try ModelFile.load(path: model, itemTable: true, semanticIDs: true)
        guard let ids = file.semanticIDs else {
            throw ValidationError("\(model) has no semantic IDs; run `recctl semantic-ids --model \(model)` first")
        }
        let dataset = SequenceDataset(try InteractionLog.load(path: data + "/ml-100k.inter"))
        guard dataset.itemCount == file.config.itemCount else {
            throw ValidationError("\(model) has \(file.config.itemCount) items but the dataset has \(dataset.itemCount)")
        }
        let split = LeaveOneOutSplit(dataset)
        var options = GeneratorTraining.Options()
        (options.epochs, options.learningRate, options.samplesPerUser, options.batch) = (epochs, learningRate, samplesPerUser, batch)
        (options.patience, options.validationBeam, options.seed) = (patience, validationBeam, seed)
        let training = GeneratorTraining(file: file, split: split, options: options)
        print(
            "training the generator: \(ids.levels) levels x \(ids.codesPerLevel) codes, \(file.config.layers) blocks of d \(file.config.dim); encoder frozen (\(file.config.version))"
        )
        print("machine: \(MachineInfo.describe())")
        let started = Date()
        let recall = { (weights: GeneratorWeights) -> Double in
            let generator = Generator(config: file.config, weights: weights, ids: ids)
            return GenerativeRanker(file: file, generator: generator, width: validationBeam, order: .generator, name: "validation")
                .recall(split.validation)
        }
        let best = training.train(recall: recall) { epoch in
            let elapsed = Date().timeIntervalSince(started)
            let eta = elapsed / Double(epoch.index) * Double(epochs - epoch.index)
            print(
                String(
                    format: "epoch %d/%d  loss %.4f  %d examples in %.1f s (%.0f/s)  validation recall@%d %.4f  (ETA at most %.0f s)",
                    epoch.index, epochs, epoch.loss, epoch.examples, epoch.seconds, Double(epoch.examples) / epoch.seconds, validationBeam,
                    epoch.validationRecall, eta))
        }
        let version = self.version ?? "\(file.config.version)-gen"
        let output = self.output ?? model
        try ModelFile.write(best.weights, from: model, to: output, version: version)
        print(String(format: "best validation recall@%d %.4f; wrote %@ (version %@)", validationBeam, best.recall, output, version))
    }
}
