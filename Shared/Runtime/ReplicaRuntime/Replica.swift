import Clients
import Clocks
import Logging
import ServiceRuntime
import Telemetry
import ZeroMQ

/// A replica process (history-encoder, scorer): its model versions, its broker connection, its
/// compute threads, and its shutdown, so a tier's main is little more than its own flags.
///
/// ```
/// let replica = try Replica(service: "scorer", options: options, load: loadModel)
/// try await replica.run { context in MyHandler(models: context.models, embeddings: try context.embeddingClient()) }
/// ```
public struct Replica<Value: Sendable>: Sendable {
    public let service: String
    public let logger: Logger
    let modelPath: String
    let reloadInterval: Duration
    let worker: WorkerConfiguration
    let limits: Limits
    let embeddingEndpoints: [String]
    let embeddingCurve: CurveClientSettings?
    /// The model versions held (current and previous during a swap); reloaded from `options.model`.
    public let models: VersionRegistry<Value>
    let load: ModelReload.Loader<Value>
    let serviceOptions: ServiceOptions

    /// Loads the model (errors name the file), reads key files and sets up logging; nothing is
    /// started yet.
    public init(
        service: String, options: ReplicaOptions, load: @escaping ModelReload.Loader<Value>
    ) throws {
        ServiceMain.bootstrapLogging(level: options.service.logLevel)
        self.service = service
        self.load = load
        serviceOptions = options.service
        modelPath = options.model
        reloadInterval = .milliseconds(options.reloadIntervalMs)
        worker = try options.workerConfiguration(service: service)
        limits = options.limits.limits
        embeddingEndpoints = options.embeddingEndpoints
        embeddingCurve = try options.curve.embedding()
        logger = Logger(label: service)
        let loaded = try load(options.model)
        models = VersionRegistry(version: loaded.version, value: loaded.value, activationDelay: .milliseconds(options.activationDelayMs))
        logger.info("model loaded", metadata: ["version": "\(loaded.version)", "path": "\(options.model)"])
    }

    /// Registers with the gateway and serves until SIGTERM or SIGINT. `makeHandler` runs once on
    /// each compute thread, so each handler owns its sockets and scratch memory.
    public func run(makeHandler: @escaping @Sendable (ReplicaContext<Value>) throws -> any RequestHandler) async throws {
        let metrics = try serviceOptions.startMetrics(logger: logger)
        let reload = ModelReload.service(path: modelPath, interval: reloadInterval, logger: logger, registry: models, load: load)
        let context = ReplicaContext(
            service: service, models: models, limits: limits, logger: logger, telemetry: metrics.telemetry,
            counters: ReplicaCounters(), zmq: ZMQContext(), embeddingEndpoints: embeddingEndpoints, embeddingCurve: embeddingCurve)
        let runtime = WorkerRuntime(
            configuration: worker, context: context.zmq, logger: logger, telemetry: metrics.telemetry,
            status: { [models, counters = context.counters] busy in counters.status(versions: models.versions, busy: busy).encoded() }
        ) {
            try makeHandler(context)
        }
        let worker = BlockingLoopService(name: service) { try runtime.run(stop: $0) }
        try await ServiceMain.run([worker] + [reload].compactMap { $0 }, logger: logger)
        metrics.endpoint?.stop()
    }
}

/// What a replica's handlers are built from.
public struct ReplicaContext<Value: Sendable>: Sendable {
    public let service: String
    public let models: VersionRegistry<Value>
    public let limits: Limits
    public let logger: Logger
    public let telemetry: Telemetry
    /// Totals every compute thread adds to, reported in heartbeats.
    public let counters: ReplicaCounters
    let zmq: ZMQContext
    let embeddingEndpoints: [String]
    let embeddingCurve: CurveClientSettings?

    /// Metrics for the calling compute thread (off when the process serves none).
    public func metrics() -> ReplicaMetrics { ReplicaMetrics(telemetry: telemetry, service: service, counters: counters) }

    /// A lookup client for the calling compute thread (its sockets stay on that thread).
    public func embeddingClient() throws -> EmbeddingClient {
        try EmbeddingClient(context: zmq, endpoints: embeddingEndpoints, curve: embeddingCurve)
    }
}
