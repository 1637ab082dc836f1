import Logging
import ServiceRuntime
import Wire
import ZeroMQ

/// Settings of one embedding-server process.
public struct EmbeddingServerConfiguration: Sendable {
    public var modelPath: String
    public var bind: String = "tcp://127.0.0.1:5560"
    public var shard: Int = 0
    public var shards: Int = 1
    public var limits = Limits()

    public init(modelPath: String) { self.modelPath = modelPath }
}

/// The parameter server's serving loop: one ROUTER, one thread, answers batched lookups.
///
/// Lookups are memory copies, far cheaper than a round trip, so one thread per shard keeps up; more
/// throughput comes from more shards.
public final class EmbeddingServer: Sendable {
    let handler: EmbeddingRequestHandler
    let configuration: EmbeddingServerConfiguration
    let logger: Logger

    public init(handler: EmbeddingRequestHandler, configuration: EmbeddingServerConfiguration, logger: Logger) {
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
    }

    public func run(context: ZMQContext, stop: StopFlag) throws {
        let socket = try Socket(context, .router)
        try socket.setMaxMessageSize(configuration.limits.hardMessageBytes)
        try socket.setRouterMandatory(true)
        try socket.bind(configuration.bind)
        logger.info(
            "embedding-server listening",
            metadata: [
                "endpoint": "\(socket.lastEndpoint)", "shard": "\(configuration.shard)/\(configuration.shards)",
                "rows": "\(handler.shards.newest.value.ownedRows)", "version": "\(handler.shards.newest.version)",
            ])
        var poller = Poller([socket])
        while !stop.isStopped {
            guard try poller.poll(timeoutMilliseconds: 100)[0] else { continue }
            while let frames = try socket.receiveMessage(dontWait: true) {
                serve(frames, on: socket)
            }
        }
        logger.info("embedding-server stopped")
    }

    private func serve(_ frames: [Frame], on socket: Socket) {
        guard let envelope = RouterEnvelope(frames) else { return }
        let reply: [UInt8]
        if envelope.body.count != 1 {
            reply = LookupReply(
                requestID: 0,
                result: .failure(.badRequest("expected 1 body frame (a LookupRequest), got \(envelope.body.count)"))
            ).encoded()
        } else {
            reply = envelope.body[0].withUnsafeBytes { handler.handle($0) }
        }
        do {
            try socket.send(envelope.reply([reply]), dontWait: true)
        } catch {
            logger.warning("could not reply to a lookup client", metadata: ["error": "\(error)"])
        }
    }
}
