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
    /// Where trainers push gradients; nil serves lookups only (the serving default).
    public var pushBind: String?
    /// Row-wise Adagrad learning rate for pushed gradients.
    public var learningRate: Float = 0.05
    /// CURVE on both endpoints (lookups and pushes), when on.
    public var curve: CurveServerSettings?
    /// Shard 0 of a training server: the dense weights (layout order) trainers share; nil elsewhere.
    public var sharedDense: (version: String, weights: [Float])?
    /// Where pushes are journaled and snapshotted; nil keeps them in memory only.
    public var journal: PushJournal.Configuration?

    public init(modelPath: String) { self.modelPath = modelPath }
}

/// The parameter server's serving loop: one ROUTER, one thread, answers batched lookups (and, on a
/// second ROUTER, applies pushes).
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
        // The ZAP handler must exist before a CURVE socket binds.
        let zap = try ZAPHandler.forServers(context: context, [configuration.curve])
        let socket = try Socket(context, .router)
        try socket.setMaxMessageSize(configuration.limits.hardMessageBytes)
        try socket.setRouterMandatory(true)
        try socket.applyCurve(configuration.curve)
        try socket.bind(configuration.bind)
        logger.info(
            "embedding-server listening",
            metadata: [
                "endpoint": "\(socket.lastEndpoint)", "shard": "\(configuration.shard)/\(configuration.shards)",
                "rows": "\(handler.shards.newest.value.ownedRows)", "version": "\(handler.shards.newest.version)",
                "curve": "\(configuration.curve.map { "\($0.allowedClients.count) allowed keys" } ?? "off")",
            ])
        let pushes = try configuration.pushBind.map { (bind) throws in try openPushes(context: context, bind: bind) }
        var poller = Poller([socket] + (pushes.map { [$0.socket] } ?? []) + (zap.map { [$0.socket] } ?? []))
        while !stop.isStopped {
            let now = MonotonicClock.nanoseconds()
            let ready = try poller.poll(timeoutMilliseconds: pushes?.pollTimeout(now: now, idle: 100) ?? 100)
            if ready[0] {
                while let frames = try socket.receiveMessage(dontWait: true) {
                    serve(frames, on: socket) { handler.handle($0) }
                }
            }
            if let pushes {
                if ready[1] { try pushes.drain() }
                pushes.flush(now: MonotonicClock.nanoseconds())
            }
            if let zap, ready.last == true {
                for key in try zap.answerPending() {
                    logger.warning("refused a connection: its CURVE key is not allowed", metadata: ["client-key": "\(key)"])
                }
            }
        }
        pushes?.flush(now: MonotonicClock.nanoseconds(), force: true)
        logger.info("embedding-server stopped")
    }

    /// Opens the push endpoint, first restoring pushed state from the journal when there is one.
    private func openPushes(context: ZMQContext, bind: String) throws -> PushEndpoint {
        var journal: PushJournal?
        var restored: RowWiseAdagrad?
        if let journalConfiguration = configuration.journal {
            let newest = handler.shards.newest.value
            let optimizer = RowWiseAdagrad(rows: newest.ownedRows, learningRate: configuration.learningRate)
            let (opened, report) = try PushJournal.recover(
                journalConfiguration, shard: newest, optimizer: optimizer, now: MonotonicClock.nanoseconds())
            for rejected in report.rejectedSnapshots { logger.warning("snapshot not used", metadata: ["reason": "\(rejected)"]) }
            if let damage = report.damage {
                logger.error("push log damaged; kept the intact prefix, cut the rest", metadata: ["damage": "\(damage)"])
            }
            logger.info("restored pushed rows", metadata: report.metadata)
            (journal, restored) = (opened, optimizer)
        }
        let pushSocket = try Socket(context, .router)
        try pushSocket.setMaxMessageSize(configuration.limits.hardMessageBytes)
        try pushSocket.setRouterMandatory(true)
        try pushSocket.applyCurve(configuration.curve)
        try pushSocket.bind(bind)
        logger.info(
            "accepting gradient pushes",
            metadata: [
                "endpoint": "\(pushSocket.lastEndpoint)", "learning-rate": "\(configuration.learningRate)",
                "durable": "\(configuration.journal.map { "\($0.directory), sync \($0.syncPolicy)" } ?? "no")",
            ])
        let pushes = PushHandler(
            shards: handler.shards, limits: configuration.limits, learningRate: configuration.learningRate, journal: journal,
            restored: restored, dense: configuration.sharedDense.map { SharedDenseWeights(version: $0.version, weights: $0.weights) })
        return PushEndpoint(socket: pushSocket, handler: pushes, logger: logger, now: MonotonicClock.nanoseconds())
    }

    private func serve(_ frames: [Frame], on socket: Socket, _ handle: (UnsafeRawBufferPointer) -> [UInt8]) {
        guard let envelope = RouterEnvelope(frames) else { return }
        let reply: [UInt8]
        if envelope.body.count != 1 {
            // Lookup and push replies share field 1 (request id) and 2 (error), so either client reads this.
            reply = LookupReply(
                requestID: 0,
                result: .failure(.badRequest("expected 1 body frame (one request message), got \(envelope.body.count)"))
            ).encoded()
        } else {
            reply = envelope.body[0].withUnsafeBytes { handle($0) }
        }
        do {
            try socket.send(envelope.reply([reply]), dontWait: true)
        } catch {
            logger.warning("could not reply to a lookup client", metadata: ["error": "\(error)"])
        }
    }
}
