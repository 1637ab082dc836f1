import EmbeddingServing
import Foundation
import Logging
import Model
import ParameterServer
import ServiceRuntime
import ZeroMQ

/// A real embedding-server loop on a thread of this process, on free loopback ports, with lookups
/// and pushes; stopped when released. For tests of pushes and training against the real server.
public final class InProcessEmbeddingServer {
    public let lookupEndpoint: String
    public let pushEndpoint: String
    private let stop = StopFlag()
    private let thread: Thread

    /// Serves its own copy of `model`'s item table (pushes change rows in place), or `table` in its
    /// format when given (a QR table's components are trained in place).
    public init(model: ModelFile, learningRate: Float, sharedDense: SharedDenseSeed.Part? = nil, table: CompressedTable? = nil) throws {
        let ports = try FreePorts.take(2)
        var lookup = EmbeddingServerConfiguration()
        lookup.bind = "tcp://127.0.0.1:\(ports[0])"
        var training = ParameterServerConfiguration()
        training.pushBind = "tcp://127.0.0.1:\(ports[1])"
        training.learningRate = learningRate
        training.sharedDense = try sharedDense.map { try SharedDenseSeed(file: model, part: $0) }
        (lookupEndpoint, pushEndpoint) = (lookup.bind, training.pushBind)
        let shard =
            table.map { EmbeddingShard(table: $0, shard: 0, shards: 1, modelVersion: model.config.version) }
            ?? EmbeddingShard(
                table: Tensor(shape: model.itemTable!.shape, values: model.itemTable!.array), shard: 0, shards: 1,
                modelVersion: model.config.version)
        let shards = VersionRegistry(version: model.config.version, value: shard)
        let logger = Logger(label: "test")
        let server = EmbeddingServer(
            handler: EmbeddingRequestHandler(shards: shards, limits: lookup.limits), configuration: lookup, logger: logger,
            attach: ParameterServer.attach(configuration: training, lookup: lookup, shards: shards, logger: logger))
        let (context, stop) = (ZMQContext(), stop)
        thread = Thread { try? server.run(context: context, stop: stop) }
        thread.start()
    }

    deinit {
        stop.stop()
        while !thread.isFinished { usleep(1_000) }
    }
}
