import Clocks
import Logging
import ServiceRuntime
import Telemetry
import Wire
import ZeroMQ

/// Settings of one embedding-server process's lookup side; the flags take their defaults here.
public struct EmbeddingServerConfiguration: Sendable {
    public var bind = DefaultEndpoints.embedding()
    public var shard: Int = 0
    public var shards: Int = 1
    public var limits = Limits()
    /// CURVE on the lookup endpoint (and the push endpoint, when there is one).
    public var curve: CurveServerSettings?

    public init() {}
}

/// The embedding-server's loop: one ROUTER, one thread, answers batched lookups (and, through an
/// `AttachedEndpoint`, the parameter server's pushes on the same thread).
///
/// Lookups are memory copies, far cheaper than a round trip, so one thread per shard keeps up; more
/// throughput comes from more shards.
public final class EmbeddingServer: Sendable {
    /// Messages read from one socket per loop turn before the other gets its turn.
    static let batch = 64
    /// Makes the attached endpoint on the loop thread (its socket must live there).
    public typealias Attach = @Sendable (ZMQContext) throws -> any AttachedEndpoint

    let handler: EmbeddingRequestHandler
    let configuration: EmbeddingServerConfiguration
    let logger: Logger
    let attach: Attach?
    let telemetry: Telemetry

    public init(
        handler: EmbeddingRequestHandler, configuration: EmbeddingServerConfiguration, logger: Logger, attach: Attach? = nil,
        telemetry: Telemetry = .off
    ) {
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
        self.attach = attach
        self.telemetry = telemetry
    }

    public func run(context: ZMQContext, stop: StopFlag) throws {
        // The ZAP handler must exist before a CURVE socket binds.
        let zap = try ZAPHandler.forServers(context: context, [configuration.curve])
        let socket = try Socket.serverRouter(
            context, bind: configuration.bind, maxMessageSize: configuration.limits.hardMessageBytes, curve: configuration.curve)
        logger.info(
            "embedding-server listening",
            metadata: [
                "endpoint": "\(socket.lastEndpoint)", "shard": "\(configuration.shard)/\(configuration.shards)",
                "rows": "\(handler.shards.newest.value.ownedRows)", "version": "\(handler.shards.newest.version)",
                "table": "\(handler.shards.newest.value.format.rawValue), \(handler.shards.newest.value.tableBytes >> 20) MiB",
                "curve": "\(configuration.curve.map { "\($0.allowedClients.count) allowed keys" } ?? "off")",
            ])
        let attached = try attach?(context)
        let metrics = EmbeddingMetrics(telemetry: telemetry)
        var poller = Poller([socket] + (attached.map { [$0.socket] } ?? []) + (zap.map { [$0.socket] } ?? []))
        let idle: Duration = .milliseconds(100)
        while !stop.isStopped {
            let timeout = attached?.pollTimeout(now: .now, idle: idle) ?? idle
            let ready = try poller.poll(timeoutMilliseconds: Int(timeout.milliseconds))
            // At most a batch from each socket a turn (zmq_poll reports what is left next time): a
            // flood of lookups must not hold back the trainers' pushes, nor a flood of pushes the
            // lookups.
            if ready[0] {
                for _ in 0..<Self.batch {
                    guard let frames = try socket.receiveMessage(dontWait: true) else { break }
                    serve(frames, on: socket, metrics: metrics)
                }
            }
            if let attached {
                if ready[1] { try attached.drain(limit: Self.batch) }
                attached.flush(now: .now, force: false)
            }
            if let zap, ready.last == true {
                for key in try zap.answerPending() {
                    logger.warning("refused a connection: its CURVE key is not allowed", metadata: ["client-key": "\(key)"])
                }
            }
        }
        attached?.flush(now: .now, force: true)
        logger.info("embedding-server stopped")
    }

    private func serve(_ frames: [Frame], on socket: Socket, metrics: EmbeddingMetrics) {
        guard let envelope = RouterEnvelope(frames) else { return }
        let started = Instant.now
        let reply: [UInt8]
        if envelope.body.count != 1 {
            metrics.lookup(code: ServiceError.Code.badRequest.name, rows: 0, duration: .zero)
            // Lookup and push replies share field 1 (request id) and 2 (error), so either client reads this.
            reply = LookupReply(
                requestID: 0,
                result: .failure(.badRequest("expected 1 body frame (one request message), got \(envelope.body.count)"))
            ).encoded()
        } else {
            let answer = envelope.body[0].withUnsafeBytes { handler.answer($0) }
            reply = answer.reply
            metrics.lookup(code: answer.code, rows: answer.rows, duration: started.elapsed)
        }
        do {
            try socket.send(envelope.reply([reply]), dontWait: true)
        } catch {
            logger.warning("could not reply to a lookup client", metadata: ["error": "\(error)"])
        }
    }
}
