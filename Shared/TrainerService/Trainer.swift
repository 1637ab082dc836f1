import Dataset
import EmbeddingService
import Evaluation
import Foundation
import Model
import Training
import Wire
import ZeroMQ

/// What one epoch did.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var loss: Float
    public var samples: Int
    public var seconds: Double
    public var validationNDCG: Double
    public var validationHR: Double
    public var rowsPulled: Int
    public var rowsPushed: Int
}

/// Trains the model against the embedding-server: pull rows, forward/backward in this process,
/// Adam on the dense weights here, row gradients pushed to the server's row-wise Adagrad.
public final class Trainer {
    let configuration: TrainerConfiguration
    let split: LeaveOneOutSplit
    var model: TrainingModel
    var adam: Adam
    let pulls: EmbeddingClient
    let pushes: PushClient
    let context = ZMQContext()

    public init(configuration: TrainerConfiguration) throws {
        self.configuration = configuration
        split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.load(path: configuration.dataFolder + "/ml-100k.inter")))
        let initial = try ModelFile.load(path: configuration.initialModel)
        guard initial.config.itemCount == split.dataset.itemCount else {
            throw ModelError("\(configuration.initialModel) has \(initial.config.itemCount) items, the data \(split.dataset.itemCount)")
        }
        model = TrainingModel(config: initial.config, weights: initial.dense)
        adam = Adam(learningRate: configuration.learningRate)
        pulls = try EmbeddingClient(
            context: context, endpoints: configuration.embeddingEndpoints, defaultTimeoutMilliseconds: 10_000, curve: configuration.curve)
        pushes = try PushClient(context: context, endpoints: configuration.pushEndpoints, curve: configuration.curve)
    }

    public var config: ModelConfig { model.config }

    /// Runs epochs until `epochs` or early stopping; exports the best model; reports each epoch.
    public func run(progress: (EpochReport) -> Void) throws -> [EpochReport] {
        var rng = SeededRandom(seed: configuration.seed &* 7_919 &+ UInt64(configuration.worker))
        let builder = SampleBuilder(split: split, maxHistory: model.config.maxHistory, negatives: configuration.negatives)
        let users = (0..<split.dataset.userCount).filter { $0 % configuration.workers == configuration.worker }
        var reports: [EpochReport] = []
        var best = -1.0
        var sinceBest = 0
        for epoch in 1...configuration.epochs {
            let started = Date()
            var samples = users.shuffled(using: &rng).flatMap {
                builder.samples(for: $0, count: configuration.samplesPerUser, using: &rng)
            }
            samples.shuffle(using: &rng)
            var lossSum: Float = 0
            var pulled = 0
            var pushed = 0
            for batchStart in stride(from: 0, to: samples.count, by: configuration.batchSize) {
                let batch = Array(samples[batchStart..<min(batchStart + configuration.batchSize, samples.count)])
                let result = try trainBatch(batch)
                lossSum += result.loss * Float(batch.count)
                pulled += result.pulled
                pushed += result.pushed
            }
            let (ndcg, hr) = try validate()
            let report = EpochReport(
                epoch: epoch, loss: lossSum / Float(max(samples.count, 1)), samples: samples.count,
                seconds: Date().timeIntervalSince(started), validationNDCG: ndcg, validationHR: hr, rowsPulled: pulled,
                rowsPushed: pushed)
            reports.append(report)
            progress(report)
            if ndcg > best {
                best = ndcg
                sinceBest = 0
                try export(epoch: epoch)
            } else {
                sinceBest += 1
                if sinceBest >= configuration.patience { break }
            }
        }
        return reports
    }

    /// One optimizer step over a batch: pull its rows once, sum the gradients, update, push.
    func trainBatch(_ batch: [TrainingSample]) throws -> (loss: Float, pulled: Int, pushed: Int) {
        let ids = Array(Set(batch.flatMap { $0.history + $0.candidates }))
        let rows = try pulls.lookup(ids, deadline: .after(milliseconds: 10_000)).get()
        let d = model.config.dim
        var table: [Int64: [Float]] = [:]
        for (i, id) in ids.enumerated() { table[id] = Array(rows[(i * d)..<((i + 1) * d)]) }
        var dense: [String: [Float]] = [:]
        var sparse: [Int64: [Float]] = [:]
        var loss: Float = 0
        let scale = 1 / Float(batch.count)
        for sample in batch {
            let step = model.step(sample, loss: configuration.loss, row: { table[$0]! })
            loss += step.loss
            for (name, g) in step.gradients.dense {
                dense[name] = dense[name].map { zip($0, g).map { $0 + $1 * scale } } ?? g.map { $0 * scale }
            }
            for (id, g) in step.gradients.rows {
                sparse[id] = sparse[id].map { zip($0, g).map { $0 + $1 * scale } } ?? g.map { $0 * scale }
            }
        }
        adam.step(&model, gradients: dense)
        let pushed = try pushes.push(sparse).get()
        return (loss * scale, ids.count, pushed)
    }

    /// The current model as a file: dense weights here, every item row pulled from the server.
    func currentModel(version: String) throws -> ModelFile {
        var config = model.config
        config.version = version
        let all = Array(0..<Int64(config.itemCount))
        let rows = try pulls.lookup(all, deadline: .after(milliseconds: 30_000)).get()
        return ModelFile(
            config: config, dense: model.denseWeights(), itemTable: Tensor(shape: [config.itemCount, config.dim], values: rows))
    }

    func validate() throws -> (ndcg: Double, hr: Double) {
        let report = Evaluator.evaluate(ModelRanker(file: try currentModel(version: "validation")), cases: split.validation, split: split)
        return (report.full.ndcg, report.full.hitRate)
    }

    func export(epoch: Int) throws {
        let version = configuration.version ?? "trained-\(configuration.seed)"
        try currentModel(version: version).save(path: configuration.output)
    }
}
