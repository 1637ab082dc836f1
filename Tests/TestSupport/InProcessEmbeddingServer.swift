import EmbeddingService
import Foundation
import Model
import ServiceRuntime
import ZeroMQ

/// A real embedding-server loop on a thread of this process, on free loopback ports, with lookups
/// and pushes; stopped when released. For tests of pushes and training against the real server.
public final class InProcessEmbeddingServer {
    public let configuration: EmbeddingServerConfiguration
    private let stop = StopFlag()
    private let thread: Thread

    /// Serves its own copy of `model`'s item table (pushes change rows in place).
    public init(model: ModelFile, learningRate: Float, sharedDense: Bool = false) throws {
        let ports = try FreePorts.take(2)
        var configuration = EmbeddingServerConfiguration(modelPath: "")
        configuration.bind = "tcp://127.0.0.1:\(ports[0])"
        configuration.pushBind = "tcp://127.0.0.1:\(ports[1])"
        configuration.learningRate = learningRate
        if sharedDense {
            configuration.sharedDense = (model.config.version, model.dense.named(model.config).flatMap { $0.tensor.array })
        }
        self.configuration = configuration
        let table = Tensor(shape: model.itemTable!.shape, values: model.itemTable!.array)
        let shard = EmbeddingShard(table: table, shard: 0, shards: 1, modelVersion: model.config.version)
        let server = EmbeddingServer(
            handler: EmbeddingRequestHandler(shard: shard, limits: Limits()), configuration: configuration, logger: .init(label: "test"))
        let (context, stop) = (ZMQContext(), stop)
        thread = Thread { try? server.run(context: context, stop: stop) }
        thread.start()
    }

    deinit {
        stop.stop()
        while !thread.isFinished { usleep(1_000) }
    }

    public var lookupEndpoint: String { configuration.bind }
    public var pushEndpoint: String { configuration.pushBind! }
}
