import ArgumentParser
import Broker
import EmbeddingService
import EncoderService
import Logging
import Model
import ServiceRuntime
import ZeroMQ

@main
struct HistoryEncoderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history-encoder",
        abstract: "RecServe's history encoder: runs the transformer over a user's history once and returns every layer's keys and values.")

    @Option(help: "Model file (safetensors); only its dense weights are loaded.")
    var model: String
    @Option(help: "The gateway's worker endpoint to register with.")
    var gateway = "tcp://127.0.0.1:5556"
    @Option(help: "Embedding-server endpoints, one per shard, comma-separated, in shard order.")
    var embedding = "tcp://127.0.0.1:5560"
    @Option(help: "Compute threads (requests handled at once).")
    var threads = 1
    @Option(help: "Encoded histories kept in the LRU cache.")
    var cacheEntries = 4_096
    @Option(help: "Heartbeat interval in milliseconds (must match the gateway's).")
    var heartbeatMs: Int64 = 250
    @OptionGroup var options: ServiceOptions

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "history-encoder")
        let file = try ModelFile.load(path: model)
        let sequenceModel = SequenceModel(file: file)
        logger.info("model loaded", metadata: ["model": "\(file.config)"])
        var configuration = WorkerConfiguration(brokerEndpoint: Endpoint.normalize(gateway), service: "history-encoder")
        configuration.threads = max(1, threads)
        configuration.heartbeatMilliseconds = heartbeatMs
        let context = ZMQContext()
        let shards = Endpoint.list(embedding)
        let cache = EncodingCache(capacity: cacheEntries)
        let limits = Limits()
        let runtime = WorkerRuntime(configuration: configuration, context: context, logger: logger) {
            EncoderHandler(
                model: sequenceModel, embeddings: try EmbeddingClient(context: context, endpoints: shards), cache: cache,
                limits: limits)
        }
        try await ServiceMain.run([BlockingLoopService(name: "history-encoder") { try runtime.run(stop: $0) }], logger: logger)
    }
}
