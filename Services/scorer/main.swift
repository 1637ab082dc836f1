import ArgumentParser
import Broker
import EmbeddingService
import Logging
import Model
import ScorerService
import ServiceRuntime
import ZeroMQ

@main
struct ScorerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "RecServe's candidate scorer: scores candidate slices against an encoded history; stateless, scale it out.")

    @Option(help: "Model file (safetensors); only its dense weights are loaded.")
    var model: String
    @Option(help: "The gateway's worker endpoint to register with.")
    var gateway = "tcp://127.0.0.1:5556"
    @Option(help: "Embedding-server endpoints, one per shard, comma-separated, in shard order.")
    var embedding = "tcp://127.0.0.1:5560"
    @Option(help: "Compute threads (requests handled at once); each keeps its own row cache.")
    var threads = 1
    @Option(help: "Hot item rows cached per compute thread.")
    var cacheRows = 200_000
    @Option(help: "Candidates per matrix-matrix pass through the blocks.")
    var microBatch = 256
    @Option(help: "Heartbeat interval in milliseconds (must match the gateway's).")
    var heartbeatMs: Int64 = 250
    @OptionGroup var options: ServiceOptions

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "scorer")
        let file = try ModelFile.load(path: model)
        let sequenceModel = SequenceModel(file: file, microBatch: microBatch)
        logger.info("model loaded", metadata: ["model": "\(file.config)"])
        var configuration = WorkerConfiguration(brokerEndpoint: Endpoint.normalize(gateway), service: "scorer")
        configuration.threads = max(1, threads)
        configuration.heartbeatMilliseconds = heartbeatMs
        let context = ZMQContext()
        let shards = Endpoint.list(embedding)
        let limits = Limits()
        let cacheRows = self.cacheRows
        let runtime = WorkerRuntime(configuration: configuration, context: context, logger: logger) {
            ScorerHandler(
                model: sequenceModel, embeddings: try EmbeddingClient(context: context, endpoints: shards), limits: limits,
                cacheRows: cacheRows)
        }
        try await ServiceMain.run([BlockingLoopService(name: "scorer") { try runtime.run(stop: $0) }], logger: logger)
    }
}
