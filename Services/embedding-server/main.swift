import ArgumentParser
import EmbeddingService
import Logging
import Model
import ServiceRuntime
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
    @OptionGroup var options: ServiceOptions

    func validate() throws {
        guard shards >= 1, (0..<shards).contains(shard) else {
            throw ValidationError("--shard must be in 0..<--shards (got shard \(shard) of \(shards))")
        }
    }

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "embedding-server")
        let file = try ModelFile.load(path: model, itemTable: true, dense: false)
        let table = EmbeddingShard(table: file.itemTable!, shard: shard, shards: shards, modelVersion: file.config.version)
        var configuration = EmbeddingServerConfiguration(modelPath: model)
        configuration.bind = Endpoint.normalize(bind)
        (configuration.shard, configuration.shards) = (shard, shards)
        let server = EmbeddingServer(
            handler: EmbeddingRequestHandler(shard: table, limits: configuration.limits), configuration: configuration,
            logger: logger)
        let context = ZMQContext()
        try await ServiceMain.run(
            [BlockingLoopService(name: "embedding-server") { try server.run(context: context, stop: $0) }], logger: logger)
    }
}
