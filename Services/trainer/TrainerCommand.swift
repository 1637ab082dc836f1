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
        abstract: "Train the model on MovieLens-100K against the embedding-server (rows pulled, gradients pushed).",
        discussion: """
            With --generator it trains the model's generator instead (generative retrieval): the encoder and item rows stay \
            frozen, the generator's weights are the dense weights shard 0 shares (start that embedding-server with \
            --shared-dense generator from the same file, the output of `recctl semantic-ids --random-generator`), and worker 0 \
            keeps the epoch with the best validation recall@--validation-beam. scripts/train-generator.sh runs it all.
            """)

    private static let defaults = TrainerConfiguration(initialModel: "", output: "", embeddingEndpoints: [], pushEndpoints: [])

    @Option(help: "Model file to start from; the embedding-server must serve the same file with --push-bind.")
    var initial: String
    @Option(name: .shortAndLong, help: "Where to write the best model (by validation NDCG@10).")
    var output: String
    @Option(help: "Folder with ml-100k.inter (scripts/fetch-movielens.sh).")
    var data = defaults.dataFolder
    @Option(help: "Embedding-server lookup endpoints, one per shard, comma-separated.")
    var embedding = DefaultEndpoints.embedding()
    @Option(help: "Embedding-server push endpoints, one per shard, comma-separated.")
    var push = DefaultEndpoints.push()
    @Option(help: "Most epochs to run.")
    var epochs = defaults.epochs
    @Option(help: "Training examples drawn per user per epoch.")
    var samplesPerUser = defaults.samplesPerUser
    @Option(help: "Examples per optimizer step.")
    var batchSize = defaults.batchSize
    @Option(help: "Sampled negatives per target.")
    var negatives = defaults.negatives
    @Option(help: "Items of each example's own history added as negatives (teaches that seen items are not next).")
    var historyNegatives = defaults.historyNegatives
    @Option(help: "Of the sampled negatives, how many are drawn by popularity^0.75 instead of uniformly (hard negatives).")
    var popularNegatives = defaults.popularNegatives
    @Option(help: "Loss: bce (each candidate on its own) or softmax (the target against its negatives).")
    var loss = defaults.loss.rawValue
    @Option(help: "Adam learning rate for the dense weights.")
    var learningRate = defaults.learningRate
    @Option(help: "Multiply the dense learning rate by this after every epoch (1: constant).")
    var learningRateDecay = defaults.learningRateDecay
    @Option(help: "Dropout rate on embeddings and each block's attention and FFN outputs during training (0: off; serving has none).")
    var dropout = defaults.dropout
    @Option(
        help: ArgumentHelp(
            "From this epoch on, validate and export the mean of the epochs' models instead of the latest (0: off).",
            discussion: "Stochastic weight averaging over epoch ends: for short runs at a constant learning rate."))
    var averageFrom = 0
    @Option(help: "Epochs without a better validation NDCG@10 before stopping.")
    var patience = defaults.patience
    @Option(help: "Random seed (sampling order; the initial weights come from --initial).")
    var seed = defaults.seed
    @Option(help: "This trainer's index for data parallelism (users with user % workers == worker).")
    var worker = defaults.worker
    @Option(help: "Number of trainers training at once.")
    var workers = defaults.workers
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
    @Flag(help: "Train the generator (semantic IDs decoded from the frozen encoder's history keys and values) instead of the model.")
    var generator = false
    @Option(help: "With --generator: the beam width of the validation recall that picks the epoch kept.")
    var validationBeam = defaults.validationBeam
    @Flag(help: "Progress as one JSON object per line (epochs, then a summary), for scripts.")
    var json = false
    @OptionGroup var curve: InternalCurveClientOptions
    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        guard averageFrom >= 0 else { throw ValidationError("--average-from is an epoch (0: off), got \(averageFrom)") }
        if generator && averageFrom > 0 {
            throw ValidationError("--average-from averages the model's epochs; the generator does not use it")
        }
        guard validationBeam >= 1 else { throw ValidationError("--validation-beam must be positive, got \(validationBeam)") }
        if generator && (slipstream || dropout > 0) {
            throw ValidationError("--slipstream and --dropout train the model's rows and blocks; the generator trains with them frozen")
        }
    }

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
        configuration.popularNegatives = max(0, popularNegatives)
        guard let lossKind = TrainingLoss(rawValue: loss) else { throw ValidationError("--loss is bce or softmax, not \(loss)") }
        configuration.loss = lossKind
        configuration.learningRate = learningRate
        configuration.learningRateDecay = learningRateDecay
        configuration.dropout = dropout
        configuration.patience = patience
        configuration.averageFrom = averageFrom > 0 ? averageFrom : nil
        configuration.seed = seed
        configuration.worker = worker
        configuration.workers = workers
        configuration.version = version
        configuration.validationBeam = validationBeam
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
        let served = try metrics.start(logger: nil)
        defer { served.endpoint?.stop() }
        let trainerMetrics = TrainerMetrics(telemetry: served.telemetry)
        let started = Date()
        if generator {
            let trainer = try GeneratorTrainer(configuration: configuration)
            let progress = TrainerProgress(
                json: json, dim: trainer.config.dim, output: output, worker: worker, validation: "recall@\(validationBeam)",
                metrics: trainerMetrics)
            progress.started(config: "the generator of \(trainer.config) (encoder frozen)", workers: workers, slipstream: false)
            let reports = try trainer.run { progress.epoch($0) }
            return progress.finished(reports, seconds: Date().timeIntervalSince(started))
        }
        let trainer = try Trainer(configuration: configuration)
        let progress = TrainerProgress(
            json: json, dim: trainer.config.dim, output: output, worker: worker, validation: "NDCG@10", metrics: trainerMetrics)
        progress.started(config: "\(trainer.config)", workers: workers, slipstream: slipstream)
        let reports = try trainer.run { progress.epoch($0) }
        progress.finished(reports, seconds: Date().timeIntervalSince(started))
    }
}
