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
    static func main() async { await mainWithEnvironment() }

    static let configuration = CommandConfiguration(
        commandName: "history-encoder",
        abstract: "RecServe's history encoder: runs the transformer over a user's history once and returns every layer's keys and values.",
        discussion: "Every flag can also come from the environment: --log-level is RECSERVE_LOG_LEVEL. Flags on the command line win.")

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Encoded histories kept in the LRU cache.")
    var cacheEntries = 4_096

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: replica.service.logLevel)
        let logger = Logger(label: "history-encoder")
        let file = try ModelFile.load(path: replica.model)
        let model = SequenceModel(file: file)
        logger.info("model loaded", metadata: ["model": "\(file.config)"])
        let context = ZMQContext()
        let shards = replica.embeddingEndpoints
        let cache = EncodingCache(capacity: cacheEntries)
        let limits = Limits()
        let runtime = WorkerRuntime(
            configuration: WorkerConfiguration(service: "history-encoder", options: replica), context: context, logger: logger
        ) {
            EncoderHandler(
                model: model, embeddings: try EmbeddingClient(context: context, endpoints: shards), cache: cache, limits: limits)
        }
        try await ServiceMain.run([BlockingLoopService(name: "history-encoder") { try runtime.run(stop: $0) }], logger: logger)
    }
}
