import ArgumentParser
import Broker
import EmbeddingService
import Logging
import Model
import ScorerService
import ServiceRuntime
import Wire
import ZeroMQ

@main
struct ScorerCommand: AsyncParsableCommand {
    static func main() async { await mainWithEnvironment() }

    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "RecServe's candidate scorer: scores candidate slices against an encoded history; stateless, scale it out.",
        discussion: "Every flag can also come from the environment: --log-level is RECSERVE_LOG_LEVEL. Flags on the command line win.")

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Hot item rows cached per compute thread.")
    var cacheRows = 200_000
    @Option(help: "Candidates per matrix-matrix pass through the blocks.")
    var microBatch = 256

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: replica.service.logLevel)
        let logger = Logger(label: "scorer")
        let file = try ModelFile.load(path: replica.model)
        let microBatch = self.microBatch
        let models = VersionRegistry(version: file.config.version, value: SequenceModel(file: file, microBatch: microBatch))
        logger.info("model loaded", metadata: ["model": "\(file.config)"])
        let reload = ModelReload.service(
            path: replica.model, intervalMilliseconds: replica.reloadIntervalMs, logger: logger,
            load: { path in
                let file = try ModelFile.load(path: path)
                return (file.config.version, SequenceModel(file: file, microBatch: microBatch))
            },
            install: { models.install(version: $0, value: $1, now: Int64(MonotonicClock.nanoseconds() / 1_000_000)) })
        let context = ZMQContext()
        let shards = replica.embeddingEndpoints
        let embeddingCurve = try replica.curve.embedding()
        let limits = Limits()
        let cacheRows = self.cacheRows
        let runtime = WorkerRuntime(
            configuration: try WorkerConfiguration(service: "scorer", options: replica), context: context, logger: logger
        ) {
            ScorerHandler(
                models: models, embeddings: try EmbeddingClient(context: context, endpoints: shards, curve: embeddingCurve), limits: limits,
                cacheRows: cacheRows)
        }
        let worker = BlockingLoopService(name: "scorer") { try runtime.run(stop: $0) }
        try await ServiceMain.run([worker] + [reload].compactMap { $0 }, logger: logger)
    }
}
