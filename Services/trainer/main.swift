import ArgumentParser
@preconcurrency import Foundation
import Model
import ServiceRuntime
import TrainerService
import Training

@main
struct TrainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "Train the model on MovieLens-100K against the embedding-server (rows pulled, gradients pushed).")

    @Option(help: "Model file to start from; the embedding-server must serve the same file with --push-bind.")
    var initial: String
    @Option(name: .shortAndLong, help: "Where to write the best model (by validation NDCG@10).")
    var output: String
    @Option(help: "Folder with ml-100k.inter (scripts/fetch-movielens.sh).")
    var data = "data/ml-100k"
    @Option(help: "Embedding-server lookup endpoints, one per shard, comma-separated.")
    var embedding = "tcp://127.0.0.1:5560"
    @Option(help: "Embedding-server push endpoints, one per shard, comma-separated.")
    var push = "tcp://127.0.0.1:5570"
    @Option(help: "Most epochs to run.")
    var epochs = 30
    @Option(help: "Training examples drawn per user per epoch.")
    var samplesPerUser = 8
    @Option(help: "Examples per optimizer step.")
    var batchSize = 64
    @Option(help: "Sampled negatives per target.")
    var negatives = 8
    @Option(help: "Items of each example's own history added as negatives (teaches that seen items are not next).")
    var historyNegatives = 0
    @Option(help: "Loss: bce (each candidate on its own) or softmax (the target against its negatives).")
    var loss: String = "bce"
    @Option(help: "Adam learning rate for the dense weights.")
    var learningRate: Float = 0.001
    @Option(help: "Multiply the dense learning rate by this after every epoch (1: constant).")
    var learningRateDecay: Float = 1
    @Option(help: "Epochs without a better validation NDCG@10 before stopping.")
    var patience = 4
    @Option(help: "Random seed (sampling order; the initial weights come from --initial).")
    var seed: UInt64 = 1
    @Option(help: "This trainer's index for data parallelism (users with user % workers == worker).")
    var worker = 0
    @Option(help: "Number of trainers training at once.")
    var workers = 1
    @Option(help: "Version string of the exported model (default trained-<seed>).")
    var version: String?
    @Flag(help: "Slipstream: skip pulls, pushes and inputs of hot rows that stopped changing (off by default).")
    var slipstream = false
    @Option(help: "Slipstream: a hot row whose relative change since its snapshot is below this is stale.")
    var slipstreamThreshold: Float = SlipstreamSettings().threshold
    @Option(help: "Slipstream: share of rows (the most pushed) snapshotted as hot.")
    var slipstreamHotFraction: Float = SlipstreamSettings().hotFraction
    @Option(help: "Slipstream: steps between stale-row queries (each takes a new hot-row snapshot).")
    var slipstreamPeriodSteps = SlipstreamSettings().periodSteps
    @Option(help: "Slipstream: every N epochs all rows are fresh again (full refresh).")
    var slipstreamFullRefreshEpochs = SlipstreamSettings().fullRefreshEpochs
    @Option(help: "Slipstream: epochs trained in full before the first hot-row snapshot.")
    var slipstreamWarmupEpochs = SlipstreamSettings().warmupEpochs
    @OptionGroup var curve: InternalCurveClientOptions

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        var configuration = TrainerConfiguration(
            initialModel: initial, output: output, embeddingEndpoints: Endpoint.list(embedding), pushEndpoints: Endpoint.list(push))
        configuration.dataFolder = data
        configuration.epochs = epochs
        configuration.samplesPerUser = samplesPerUser
        configuration.batchSize = batchSize
        configuration.negatives = negatives
        configuration.historyNegatives = max(0, historyNegatives)
        guard let lossKind = TrainingLoss(rawValue: loss) else { throw ValidationError("--loss is bce or softmax, not \(loss)") }
        configuration.loss = lossKind
        configuration.learningRate = learningRate
        configuration.learningRateDecay = learningRateDecay
        configuration.patience = patience
        configuration.seed = seed
        configuration.worker = worker
        configuration.workers = workers
        configuration.version = version
        configuration.curve = try curve.embedding()
        if slipstream {
            var settings = SlipstreamSettings()
            settings.threshold = slipstreamThreshold
            settings.hotFraction = slipstreamHotFraction
            settings.periodSteps = max(1, slipstreamPeriodSteps)
            settings.fullRefreshEpochs = max(1, slipstreamFullRefreshEpochs)
            settings.warmupEpochs = max(0, slipstreamWarmupEpochs)
            configuration.slipstream = settings
        }
        let trainer = try Trainer(configuration: configuration)
        print("training \(trainer.config) as worker \(worker)/\(workers)" + (slipstream ? " with Slipstream" : ""))
        let started = Date()
        let reports = try trainer.run { r in
            let validation = r.validationNDCG.map { String(format: "  valid NDCG@10 %.4f HR@10 %.4f", $0, r.validationHR ?? 0) } ?? ""
            print(
                String(
                    format:
                        "epoch %2d  loss %.4f  %5d samples  %.1f s (%.0f samples/s)  rows pulled %d pushed %d skipped %d  inputs skipped %d",
                    r.epoch, r.loss, r.samples, r.seconds, Double(r.samples) / r.seconds, r.traffic.rowsPulled, r.traffic.rowsPushed,
                    r.traffic.rowsSkipped, r.traffic.samplesSkipped) + validation)
        }
        let total = reports.map(\.traffic).reduce(TrafficCounters(), +)
        let seconds = Date().timeIntervalSince(started)
        print(
            String(
                format:
                    "traffic: %d rows pulled, %d pushed, %.1f MB of rows, %.1f MB dense; Slipstream skipped %d row transfers (%.1f MB) and %d inputs; %.1f s in all",
                total.rowsPulled, total.rowsPushed, Double(total.rowBytes) / 1e6, Double(total.denseBytes) / 1e6, total.rowsSkipped,
                Double(total.rowsSkipped * TrafficCounters.rowCost(dim: trainer.config.dim)) / 1e6, total.samplesSkipped, seconds))
        if let best = reports.filter({ $0.validationNDCG != nil }).max(by: { $0.validationNDCG! < $1.validationNDCG! }) {
            print(String(format: "best epoch %d (valid NDCG@10 %.4f); wrote %@", best.epoch, best.validationNDCG!, output))
        } else {
            print("worker \(worker) done; worker 0 validates and exports")
        }
    }
}
