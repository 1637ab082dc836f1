import ArgumentParser
import EmbeddingService
import Logging
import Model
import ServiceRuntime
import Wire
import ZeroMQ

@main
struct EmbeddingServerCommand: AsyncParsableCommand {
    static func main() async { await mainWithEnvironment() }

    static let configuration = CommandConfiguration(
        commandName: "embedding-server",
        abstract: "RecServe's embedding-parameter server: answers batched item-row lookups for one shard.",
        discussion: "Every flag can also come from the environment: --log-level is RECSERVE_LOG_LEVEL. Flags on the command line win.")

    @Option(help: "Model file (safetensors) whose item table to serve.")
    var model: String
    @Option(help: "ZeroMQ endpoint to listen on.")
    var bind = "tcp://127.0.0.1:5560"
    @Option(help: "This server's shard index (it owns ids with id % shards == shard).")
    var shard = 0
    @Option(help: "Number of shards the id space is split into.")
    var shards = 1
    @Option(help: "How often to check the model file for a new version, in milliseconds (0: never).")
    var reloadIntervalMs = 2_000
    @Option(help: "Endpoint where trainers push row gradients (off unless given; keep it off serving networks).")
    var pushBind: String?
    @Option(help: "Row-wise Adagrad learning rate for pushed gradients.")
    var learningRate: Float = 0.05
    @Option(
        help: ArgumentHelp(
            "Directory for the push log and snapshots; pushes are acknowledged only once logged (needs --push-bind).",
            discussion: "On start the newest valid snapshot of the same model version is loaded and the log replayed on top."))
    var stateDir: String?
    @Option(help: "Sync the push log at most every N ms, holding acknowledgements until then (0: sync before every reply).")
    var fsyncIntervalMs = 0
    @Option(help: "Snapshot the pushed rows every N seconds (and at shutdown), so the log stays short.")
    var snapshotIntervalS = 60
    @OptionGroup var curve: InternalCurveServerOptions
    @OptionGroup var options: ServiceOptions

    func validate() throws {
        guard shards >= 1, (0..<shards).contains(shard) else {
            throw ValidationError("--shard must be in 0..<--shards (got shard \(shard) of \(shards))")
        }
        if stateDir != nil && pushBind == nil {
            throw ValidationError("--state-dir journals pushes, so it needs --push-bind")
        }
        guard fsyncIntervalMs >= 0, snapshotIntervalS >= 1 else {
            throw ValidationError("--fsync-interval-ms must be >= 0 and --snapshot-interval-s >= 1")
        }
    }

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "embedding-server")
        // A training server's shard 0 also holds the dense weights the trainers share.
        let holdsDense = pushBind != nil && shard == 0
        let file = try ModelFile.load(path: model, itemTable: true, dense: holdsDense)
        let (shard, shards) = (self.shard, self.shards)
        let table = EmbeddingShard(table: file.itemTable!, shard: shard, shards: shards, modelVersion: file.config.version)
        let tables = VersionRegistry(version: file.config.version, value: table)
        var configuration = EmbeddingServerConfiguration(modelPath: model)
        configuration.bind = Endpoint.normalize(bind)
        (configuration.shard, configuration.shards) = (shard, shards)
        configuration.pushBind = pushBind.map(Endpoint.normalize)
        configuration.learningRate = learningRate
        configuration.curve = try curve.settings()
        if holdsDense {
            configuration.sharedDense = (file.config.version, file.dense.named(file.config).flatMap { $0.tensor.array })
        }
        configuration.journal = stateDir.map {
            var journal = PushJournal.Configuration(directory: $0)
            journal.syncPolicy = fsyncIntervalMs == 0 ? .everyPush : .interval(milliseconds: fsyncIntervalMs)
            journal.snapshotIntervalSeconds = snapshotIntervalS
            return journal
        }
        let server = EmbeddingServer(
            handler: EmbeddingRequestHandler(shards: tables, limits: configuration.limits), configuration: configuration,
            logger: logger)
        let context = ZMQContext()
        let reload = ModelReload.service(
            path: model, intervalMilliseconds: reloadIntervalMs, logger: logger,
            load: { path in
                let file = try ModelFile.load(path: path, itemTable: true, dense: false)
                return (
                    file.config.version,
                    EmbeddingShard(table: file.itemTable!, shard: shard, shards: shards, modelVersion: file.config.version)
                )
            },
            install: { tables.install(version: $0, value: $1, now: Int64(MonotonicClock.nanoseconds() / 1_000_000)) })
        let loop = BlockingLoopService(name: "embedding-server") { try server.run(context: context, stop: $0) }
        try await ServiceMain.run([loop] + [reload].compactMap { $0 }, logger: logger)
    }
}
