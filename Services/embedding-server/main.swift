import ArgumentParser
import EmbeddingServing
import Logging
import Model
import ParameterServer
import ServiceRuntime
import ZeroMQ

@main
struct EmbeddingServerCommand: AsyncParsableCommand {
    static func main() async {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        await mainWithEnvironment()
    }

    static let configuration = CommandConfiguration(
        commandName: "embedding-server",
        abstract: "RecServe's embedding-parameter server: answers batched item-row lookups for one shard.",
        discussion: ServiceMain.environmentDiscussion)

    private static let defaults = (lookup: EmbeddingServerConfiguration(), training: ParameterServerConfiguration())

    @Option(help: "Model file (safetensors) whose item table to serve.")
    var model: String
    @Option(help: "ZeroMQ endpoint to listen on.")
    var bind = defaults.lookup.bind
    @Option(help: "This server's shard index (it owns ids with id % shards == shard).")
    var shard = defaults.lookup.shard
    @Option(help: "Number of shards the id space is split into.")
    var shards = defaults.lookup.shards
    @Option(help: "How often to check the model file for a new version, in milliseconds (0: never).")
    var reloadIntervalMs = ModelReload.defaultInterval.milliseconds
    @Option(help: "Endpoint where trainers push row gradients (off unless given; keep it off serving networks).")
    var pushBind: String?
    @Option(help: "Row-wise Adagrad learning rate for pushed gradients.")
    var learningRate = defaults.training.learningRate
    @Option(
        help: ArgumentHelp(
            "Which dense weights shard 0 shares with the trainers: model (encoder and scorer) or generator (trainer --generator).",
            valueName: "model|generator"))
    var sharedDense = "model"
    @Option(
        help: ArgumentHelp(
            "Directory for the push log and snapshots; pushes are acknowledged only once logged (needs --push-bind).",
            discussion: "On start the newest valid snapshot of the same model version is loaded and the log replayed on top."))
    var stateDir: String?
    @Option(help: "Sync the push log at most every N ms, holding acknowledgements until then (0: sync before every reply).")
    var fsyncIntervalMs = 0
    @Option(help: "Snapshot the pushed rows every N seconds (and at shutdown), so the log stays short.")
    var snapshotIntervalS = PushJournal.Configuration(directory: "").snapshotInterval.components.seconds
    @OptionGroup var limits: LimitOptions
    @OptionGroup var curve: InternalCurveServerOptions
    @OptionGroup var options: ServiceOptions

    func validate() throws {
        guard shards >= 1, (0..<shards).contains(shard) else {
            throw ValidationError("--shard must be in 0..<--shards (got shard \(shard) of \(shards))")
        }
        if stateDir != nil && pushBind == nil {
            throw ValidationError("--state-dir journals pushes, so it needs --push-bind")
        }
        guard SharedDenseSeed.Part(rawValue: sharedDense) != nil else {
            throw ValidationError("--shared-dense is model or generator, not \(sharedDense)")
        }
        guard fsyncIntervalMs >= 0, snapshotIntervalS >= 1 else {
            throw ValidationError("--fsync-interval-ms must be >= 0 and --snapshot-interval-s >= 1")
        }
    }

    func run() async throws {
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "embedding-server")
        let (shard, shards) = (self.shard, self.shards)
        let load: ModelReload.Loader<EmbeddingShard> = { path in
            let (config, table) = try ModelFile.loadTable(path: path)
            return (config.version, EmbeddingShard(table: table, shard: shard, shards: shards, modelVersion: config.version))
        }
        let metrics = try options.startMetrics(logger: logger)
        let first = try load(model)
        let tables = VersionRegistry(version: first.version, value: first.value)
        var lookup = EmbeddingServerConfiguration()
        lookup.bind = Endpoint.normalize(bind)
        (lookup.shard, lookup.shards) = (shard, shards)
        lookup.limits = limits.limits
        lookup.curve = try curve.settings()
        let server = EmbeddingServer(
            handler: EmbeddingRequestHandler(shards: tables, limits: lookup.limits), configuration: lookup, logger: logger,
            attach: try pushBind.map {
                try ParameterServer.attach(
                    configuration: training(pushBind: $0), lookup: lookup, shards: tables, logger: logger, telemetry: metrics.telemetry)
            }, telemetry: metrics.telemetry)
        let context = ZMQContext()
        let reload = ModelReload.service(
            path: model, interval: .milliseconds(reloadIntervalMs), logger: logger, registry: tables, load: load)
        let loop = BlockingLoopService(name: "embedding-server") { try server.run(context: context, stop: $0) }
        try await ServiceMain.run([loop] + [reload].compactMap { $0 }, logger: logger)
        metrics.endpoint?.stop()
    }

    /// The training side's settings; shard 0 also holds the dense weights the trainers share.
    private func training(pushBind: String) throws -> ParameterServerConfiguration {
        var training = ParameterServerConfiguration()
        training.pushBind = Endpoint.normalize(pushBind)
        training.learningRate = learningRate
        if shard == 0 {
            let part = SharedDenseSeed.Part(rawValue: sharedDense)!
            let file = try ModelFile.load(path: model, itemTable: false, dense: true, semanticIDs: part == .generator)
            training.sharedDense = try SharedDenseSeed(file: file, part: part)
        }
        training.journal = stateDir.map {
            var journal = PushJournal.Configuration(directory: $0)
            journal.syncPolicy = fsyncIntervalMs == 0 ? .everyPush : .interval(.milliseconds(fsyncIntervalMs))
            journal.snapshotInterval = .seconds(snapshotIntervalS)
            return journal
        }
        return training
    }
}
