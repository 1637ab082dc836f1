import ArgumentParser
import Broker
import EmbeddingService
import EncoderService
import Logging
import Model
import ServiceRuntime
import Wire
import ZeroMQ

@main
struct HistoryEncoderCommand: AsyncParsableCommand {
    static func main() async { await mainWithEnvironment() }

    static let configuration = CommandConfiguration(
        commandName: "history-encoder",
        abstract: "RecServe's history encoder: runs the transformer over a user's history once and returns every layer's keys and values.",
        discussion: "Every flag can also come from the environment: --log-level is RECSERVE_LOG_LEVEL. Flags on the command line win.")

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Memory for the LRU cache of encoded histories, in MiB (a W1 history takes about 200 KB).")
    var cacheMegabytes = 256
    @Option(
        help:
            "How long a newly loaded model version is held before new requests use it, in milliseconds (lets the other tiers load it first)."
    )
    var activationDelayMs: Int64 = 5_000

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: replica.service.logLevel)
        let logger = Logger(label: "history-encoder")
        let file = try ModelFile.load(path: replica.model)
        let models = VersionRegistry(
            version: file.config.version, value: SequenceModel(file: file), activationDelayMilliseconds: activationDelayMs)
        logger.info("model loaded", metadata: ["model": "\(file.config)"])
        let reload = ModelReload.service(
            path: replica.model, intervalMilliseconds: replica.reloadIntervalMs, logger: logger,
            load: { path in
                let file = try ModelFile.load(path: path)
                return (file.config.version, SequenceModel(file: file))
            },
            install: { models.install(version: $0, value: $1, now: Int64(MonotonicClock.nanoseconds() / 1_000_000)) })
        let context = ZMQContext()
        let shards = replica.embeddingEndpoints
        let embeddingCurve = try replica.curve.embedding()
        let cache = EncodingCache(
            megabytes: cacheMegabytes, maxHistory: file.config.maxHistory, layers: file.config.layers, dim: file.config.dim)
        logger.info("encoding cache", metadata: ["megabytes": "\(cacheMegabytes)", "entries": "\(cache.capacity)"])
        let limits = Limits()
        let runtime = WorkerRuntime(
            configuration: try WorkerConfiguration(service: "history-encoder", options: replica), context: context, logger: logger
        ) {
            EncoderHandler(
                models: models, embeddings: try EmbeddingClient(context: context, endpoints: shards, curve: embeddingCurve), cache: cache,
                limits: limits)
        }
        let worker = BlockingLoopService(name: "history-encoder") { try runtime.run(stop: $0) }
        try await ServiceMain.run([worker] + [reload].compactMap { $0 }, logger: logger)
    }
}
