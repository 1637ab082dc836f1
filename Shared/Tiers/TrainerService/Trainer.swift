import Clients
import Dataset
import Evaluation
import Foundation
import Model
import Training
import Wire
import ZeroMQ

/// Trains the model against the parameter server: item rows pulled from the embedding-server
/// shards and their gradients pushed to its row-wise Adagrad; the dense weights shared through
/// shard 0, whose Adam applies every trainer's dense gradient. Several trainers (each a share of
/// the users, `worker`/`workers`) therefore train one model at once; worker 0 validates and exports.
public final class Trainer {
    let configuration: TrainerConfiguration
    let split: LeaveOneOutSplit
    var model: TrainingModel
    let pulls: EmbeddingClient
    let pushes: PushClient
    let context = ZMQContext()
    var slipstream: SlipstreamRows?
    /// This epoch's dense learning rate.
    var learningRate: Float
    /// Seeds of the samples' dropout masks: a stream of its own, so dropout on or off leaves the
    /// sampling order alone.
    var dropoutSeeds: SeededRandom
    let denseLayout: DenseLayout
    var average = CheckpointAverage()

    public init(configuration: TrainerConfiguration) throws {
        self.configuration = configuration
        split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.load(path: configuration.dataFolder + "/ml-100k.inter")))
        let initial = try ModelFile.load(path: configuration.initialModel)
        guard initial.config.itemCount == split.dataset.itemCount else {
            throw ModelError(
                .mismatch, "\(configuration.initialModel) has \(initial.config.itemCount) items, the data \(split.dataset.itemCount)")
        }
        if configuration.averageFrom != nil, try ModelFile.storedTableFormat(path: configuration.initialModel) == .qr {
            throw ModelError(
                .invalidConfig,
                "checkpoint averaging is for f32 tables: the mean of QR products is not a QR product (drop --average-from)")
        }
        model = TrainingModel(config: initial.config, weights: initial.dense)
        pulls = try EmbeddingClient(
            context: context, endpoints: configuration.embeddingEndpoints, defaultTimeoutMilliseconds: 10_000, curve: configuration.curve)
        pushes = try PushClient(context: context, endpoints: configuration.pushEndpoints, curve: configuration.curve)
        slipstream = configuration.slipstream.map(SlipstreamRows.init)
        learningRate = configuration.learningRate
        dropoutSeeds = SeededRandom(seed: configuration.seed &* 104_729 &+ UInt64(configuration.worker))
        denseLayout = DenseLayout(initial.config)
        model.setFlatDense(
            try pushes.sharedDenseWeights(count: denseLayout.count, what: configuration.initialModel, fix: "start it from the same file"))
    }

    public var config: ModelConfig { model.config }
    var isLeader: Bool { configuration.worker == 0 }

    /// Runs epochs until `epochs` or early stopping; worker 0 exports the best model.
    public func run(progress: (EpochReport) -> Void) throws -> [EpochReport] {
        var rng = SeededRandom(seed: configuration.seed &* 7_919 &+ UInt64(configuration.worker))
        let builder = SampleBuilder(
            split: split, maxHistory: model.config.maxHistory, negatives: configuration.negatives,
            historyNegatives: configuration.historyNegatives, popularNegatives: configuration.popularNegatives)
        let users = (0..<split.dataset.userCount).filter { $0 % configuration.workers == configuration.worker }
        let loop = EpochLoop(epochs: configuration.epochs, patience: configuration.patience, isLeader: isLeader)
        let split = split
        return try loop.runOverlapped(
            train: { epoch in
                let started = Date()
                learningRate = configuration.learningRate * Float(pow(Double(configuration.learningRateDecay), Double(epoch - 1)))
                if let settings = slipstream?.settings {
                    slipstream?.active = epoch > settings.warmupEpochs
                    if epoch > 1, (epoch - 1) % settings.fullRefreshEpochs == 0 { slipstream?.thaw() }
                }
                var samples = users.shuffled(using: &rng).flatMap {
                    builder.samples(for: $0, count: configuration.samplesPerUser, using: &rng)
                }
                samples.shuffle(using: &rng)
                var lossSum: Float = 0
                var trained = 0
                var traffic = TrafficCounters()
                for batchStart in stride(from: 0, to: samples.count, by: configuration.batchSize) {
                    let batch = Array(samples[batchStart..<min(batchStart + configuration.batchSize, samples.count)])
                    let result = try trainBatch(batch)
                    lossSum += result.loss
                    trained += result.trained
                    traffic = traffic + result.traffic
                }
                let seconds = Date().timeIntervalSince(started)
                return EpochReport(
                    epoch: epoch, loss: lossSum / Float(max(trained, 1)), samples: trained, seconds: seconds, trainingSeconds: seconds,
                    traffic: traffic)
            },
            take: { epoch in try validationModel(epoch: epoch) },
            score: { snapshot, report in
                let result = Evaluator.evaluate(ModelRanker(file: snapshot.model), cases: split.validation, split: split).full
                (report.validationNDCG, report.validationHR) = (result.ndcg, result.hitRate)
                report.averagedEpochs = snapshot.averagedEpochs
                return result.ndcg
            }, export: { try export($0.model) }, progress: progress)
    }

    /// One step over a batch: pull its fresh rows once, sum the gradients, push rows and the dense
    /// gradient, take the shared dense weights back.
    func trainBatch(_ batch: [TrainingSample]) throws -> (loss: Float, trained: Int, traffic: TrafficCounters) {
        let d = model.config.dim
        var traffic = TrafficCounters()
        let kept = batch.filter { !(slipstream?.skips($0) ?? false) }
        traffic.samplesSkipped = batch.count - kept.count
        let ids = Array(Set(kept.flatMap { $0.history + $0.candidates }))
        let fresh = ids.filter { !(slipstream?.isFrozen($0) ?? false) }
        // A stale row is neither pulled nor pushed.
        traffic.rowsSkipped = 2 * (ids.count - fresh.count)
        var table = try pullRows(fresh)
        for id in ids where table[id] == nil { table[id] = slipstream?.frozen[id] }
        traffic.rowsPulled = fresh.count

        let scale = 1 / Float(max(kept.count, 1))
        var dense = [Float](repeating: 0, count: denseLayout.count)
        var sparse: [Int64: [Float]] = [:]
        var loss: Float = 0
        for sample in kept {
            let dropout = configuration.dropout > 0 ? Dropout(rate: configuration.dropout, seed: dropoutSeeds.next()) : nil
            let step = model.step(sample, loss: configuration.loss, dropout: dropout, row: { table[$0]! })
            loss += step.loss
            step.gradients.addDense(into: &dense, scale: scale, layout: denseLayout)
            for (id, row) in step.gradients.rows where !(slipstream?.isFrozen(id) ?? false) {
                sparse[id] = sparse[id].map { zip($0, row).map { $0 + $1 * scale } } ?? row.map { $0 * scale }
            }
        }
        traffic.rowsPushed = sparse.count
        var query: PushClient.StaleQuery?
        if let settings = configuration.slipstream, slipstream?.queryDue() == true {
            query = .init(threshold: settings.threshold, hotFraction: settings.hotFraction)
        }
        let densePush = PushClient.DensePush(
            gradients: kept.isEmpty ? [] : dense, learningRate: learningRate, wantWeights: true)
        let outcome = try pushes.exchange(sparse, dense: densePush, stale: query).get()
        model.setFlatDense(outcome.dense)
        traffic.denseBytes = 4 * (kept.isEmpty ? 0 : dense.count) + 4 * outcome.dense.count
        if query != nil {
            // Freeze the stale rows at their current values (one pull, counted).
            let stale = outcome.staleIDs
            slipstream?.freeze(try pullRows(stale))
            traffic.rowsPulled += stale.count
        }
        traffic.rowBytes = (traffic.rowsPulled + traffic.rowsPushed) * TrafficCounters.rowCost(dim: d)
        return (loss, kept.count, traffic)
    }

    func pullRows(_ ids: [Int64]) throws -> [Int64: [Float]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try pulls.lookup(ids, deadline: .after(milliseconds: 10_000)).get()
        let d = model.config.dim
        var table: [Int64: [Float]] = [:]
        for (i, id) in ids.enumerated() { table[id] = Array(rows[(i * d)..<((i + 1) * d)]) }
        return table
    }

    /// The current model as a file: the shared dense weights as of the last step, every item row
    /// pulled from the server.
    func currentModel(version: String) throws -> ModelFile {
        var config = model.config
        config.version = version
        let all = Array(0..<Int64(config.itemCount))
        let rows = try pulls.lookup(all, deadline: .after(milliseconds: 30_000)).get()
        return ModelFile(
            config: config, dense: model.denseWeights(), itemTable: Tensor(shape: [config.itemCount, config.dim], values: rows))
    }

    /// What worker 0 validates (and exports if best) after `epoch`: the current model, or from
    /// `averageFrom` on the mean of the epochs' models. Its own copy: the other trainers keep
    /// pushing while it is scored.
    func validationModel(epoch: Int) throws -> ValidationSnapshot {
        let model = try currentModel(version: "validation")
        guard let from = configuration.averageFrom, epoch >= from else { return ValidationSnapshot(model: model, averagedEpochs: nil) }
        average.add(model)
        return ValidationSnapshot(model: average.mean(like: model), averagedEpochs: average.count)
    }

    /// Writes a validated model in the initial file's table format: f32, or QR (the server trained
    /// its components; the pulled rows are their products, which `fit` factors back exactly).
    func export(_ validated: ModelFile) throws {
        var current = validated
        current.config.version = configuration.version ?? "trained-\(configuration.seed)"
        guard try ModelFile.storedTableFormat(path: configuration.initialModel) == .qr,
            let divider = try ModelFile.loadTable(path: configuration.initialModel).table.qr?.divider
        else { return try current.save(path: configuration.output) }
        let components = QuotientRemainder.fit(current.itemTable!, divider: divider)
        try ModelFile.save(path: configuration.output, config: current.config, dense: current.dense, table: CompressedTable(components))
    }
}

/// The model worker 0 scores after an epoch, and how many epochs' models it is the mean of.
struct ValidationSnapshot: Sendable {
    var model: ModelFile
    var averagedEpochs: Int?
}
