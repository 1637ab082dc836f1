import Clients
import Dataset
import Evaluation
import Foundation
import Generative
import Model
import Training
import Wire
import ZeroMQ

/// Trains the generator against the parameter server, as `Trainer` trains the model: shard 0 of
/// the embedding-server (`--shared-dense generator`) holds the generator's weights and their Adam;
/// every trainer pushes its batch's generator gradient and takes the shared weights back, so
/// several trainer processes train one generator. The encoder and item rows are frozen (nothing is
/// pushed to the rows), so each trainer pulls the table once. Worker 0 validates (recall@beam of
/// the validation targets, by beam search) and exports the model file with the best generator.
public final class GeneratorTrainer {
    let configuration: TrainerConfiguration
    let split: LeaveOneOutSplit
    /// The frozen model with the pulled rows: what encodes histories and what is exported.
    let file: ModelFile
    var objective: GeneratorObjective
    let pushes: PushClient
    let context = ZMQContext()
    /// Bytes of the pulled table, reported with the first epoch's traffic.
    private var pullTraffic: TrafficCounters

    public init(configuration: TrainerConfiguration) throws {
        self.configuration = configuration
        split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.load(path: configuration.dataFolder + "/ml-100k.inter")))
        let initial = try ModelFile.load(path: configuration.initialModel, semanticIDs: true)
        guard let ids = initial.semanticIDs, let start = initial.generator else {
            throw ModelError(
                .mismatch,
                "\(configuration.initialModel) has no \(initial.semanticIDs == nil ? "semantic IDs" : "generator"): run `recctl semantic-ids --random-generator` on the trained model first"
            )
        }
        guard initial.config.itemCount == split.dataset.itemCount else {
            throw ModelError(
                .mismatch, "\(configuration.initialModel) has \(initial.config.itemCount) items, the data \(split.dataset.itemCount)")
        }
        let pulls = try EmbeddingClient(
            context: context, endpoints: configuration.embeddingEndpoints, defaultTimeoutMilliseconds: 30_000, curve: configuration.curve)
        let config = initial.config
        let rows = try pulls.lookup(Array(0..<Int64(config.itemCount)), deadline: .after(milliseconds: 30_000)).get()
        pullTraffic = TrafficCounters()
        pullTraffic.rowsPulled = config.itemCount
        pullTraffic.rowBytes = config.itemCount * TrafficCounters.rowCost(dim: config.dim)
        file = ModelFile(
            config: config, dense: initial.dense, itemTable: Tensor(shape: [config.itemCount, config.dim], values: rows), semanticIDs: ids)
        objective = GeneratorObjective(file: file, weights: start)
        pushes = try PushClient(context: context, endpoints: configuration.pushEndpoints, curve: configuration.curve)
        objective.setFlatWeights(
            try pushes.sharedDenseWeights(
                count: objective.flatWeights.count, what: "the generator of \(configuration.initialModel)",
                fix: "start embedding-server --shared-dense generator from the same file"))
    }

    public var config: ModelConfig { file.config }

    /// Runs epochs until `epochs` or early stopping; worker 0 exports the model with the best generator.
    public func run(progress: (EpochReport) -> Void) throws -> [EpochReport] {
        var rng = SeededRandom(seed: configuration.seed &* 7_919 &+ UInt64(configuration.worker))
        let users = (0..<split.dataset.userCount).filter { $0 % configuration.workers == configuration.worker }
        let loop = EpochLoop(epochs: configuration.epochs, patience: configuration.patience, isLeader: configuration.worker == 0)
        return try loop.run(
            train: { epoch in try trainEpoch(epoch, users: users, rng: &rng) },
            validate: { report in
                let recall = validationRecall()
                report.validationRecall = recall
                return recall
            }, export: export, progress: progress)
    }

    func trainEpoch(_ epoch: Int, users: [Int], rng: inout SeededRandom) throws -> EpochReport {
        let started = Date()
        let learningRate = configuration.learningRate * Float(pow(Double(configuration.learningRateDecay), Double(epoch - 1)))
        let examples = GeneratorObjective.examples(
            split: split, users: users, samplesPerUser: configuration.samplesPerUser, maxHistory: config.maxHistory, using: &rng)
        var loss = 0.0
        var traffic = epoch == 1 ? pullTraffic : TrafficCounters()
        for start in stride(from: 0, to: examples.count, by: configuration.batchSize) {
            let step = objective.gradient(examples[start..<min(start + configuration.batchSize, examples.count)])
            loss += step.loss
            let push = PushClient.DensePush(gradients: step.gradient, learningRate: learningRate, wantWeights: true)
            let outcome = try pushes.exchange([:], dense: push).get()
            objective.setFlatWeights(outcome.dense)
            traffic.denseBytes += 4 * (step.gradient.count + outcome.dense.count)
        }
        let seconds = Date().timeIntervalSince(started)
        return EpochReport(
            epoch: epoch, loss: Float(loss / Double(max(examples.count, 1))), samples: examples.count, seconds: seconds,
            trainingSeconds: seconds, traffic: traffic)
    }

    func validationRecall() -> Double {
        let generator = Generator(config: config, weights: objective.pass.weights, ids: objective.ids)
        return GenerativeRanker(
            file: file, generator: generator, width: configuration.validationBeam, order: .generator, name: "validation"
        )
        .recall(split.validation)
    }

    func export() throws {
        let version = configuration.version ?? "\(config.version)-gen"
        try ModelFile.write(objective.pass.weights, from: configuration.initialModel, to: configuration.output, version: version)
    }
}
