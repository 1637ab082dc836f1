import Clocks
import EmbeddingServing
import Logging
import Model
import ServiceRuntime
import Telemetry
import ZeroMQ

/// Settings of the embedding-server's training side: where trainers push, how pushes are applied
/// and made durable. Absent on serving deployments.
public struct ParameterServerConfiguration: Sendable {
    /// Where trainers push gradients.
    public var pushBind = DefaultEndpoints.push()
    /// Row-wise Adagrad learning rate for pushed gradients.
    public var learningRate: Float = 0.05
    /// Shard 0 of a training server: the dense weights trainers share; nil elsewhere.
    public var sharedDense: SharedDenseSeed?
    /// Where pushes are journaled and snapshotted; nil keeps them in memory only.
    public var journal: PushJournal.Configuration?

    public init() {}
}

/// The dense weights (in layout order) a training shard 0 starts from, and their model version.
public struct SharedDenseSeed: Sendable {
    public var version: String
    public var weights: [Float]

    public init(version: String, weights: [Float]) {
        self.version = version
        self.weights = weights
    }

    /// Which of a model file's dense weights the trainers share.
    public enum Part: String, Sendable, CaseIterable {
        /// The encoder and scorer (the `trainer`'s default).
        case model
        /// The generator, for `trainer --generator` (the rest of the model stays frozen).
        case generator
    }

    /// `part` of `file`'s dense weights; a file without a generator cannot share one.
    public init(file: ModelFile, part: Part) throws(ModelError) {
        switch part {
        case .model:
            self.init(version: file.config.version, weights: file.dense.named(file.config).flatMap { $0.tensor.array })
        case .generator:
            guard let generator = file.generator else {
                throw ModelError(
                    .mismatch,
                    "version \(file.config.version) has no generator to train: start from `recctl semantic-ids --random-generator` output")
            }
            self.init(version: file.config.version, weights: generator.all.flatMap(\.array))
        }
    }
}

/// The parameter server: pushes applied to the embedding-server's rows by row-wise Adagrad, with
/// Slipstream's stale-row tracking, the shared dense weights and the optional write-ahead log.
public enum ParameterServer {
    /// The push endpoint as an `AttachedEndpoint` of the lookup server: restores pushed state from
    /// the journal when there is one, then binds.
    public static func attach(
        configuration: ParameterServerConfiguration, lookup: EmbeddingServerConfiguration,
        shards: VersionRegistry<EmbeddingShard>, logger: Logger, telemetry: Telemetry = .off
    ) -> EmbeddingServer.Attach {
        { context in
            try open(
                context: context, configuration: configuration, lookup: lookup, shards: shards, logger: logger, telemetry: telemetry)
        }
    }

    static func open(
        context: ZMQContext, configuration: ParameterServerConfiguration, lookup: EmbeddingServerConfiguration,
        shards: VersionRegistry<EmbeddingShard>, logger: Logger, telemetry: Telemetry
    ) throws -> PushEndpoint {
        var journal: PushJournal?
        var restored: RowWiseAdagrad?
        if let journalConfiguration = configuration.journal {
            let newest = shards.newest.value
            guard newest.compressed == nil else {
                throw ModelError(
                    .unsupported,
                    "--state-dir journals f32 rows, and \(shards.newest.version) is a \(newest.format.rawValue) table: start without --state-dir"
                )
            }
            let optimizer = RowWiseAdagrad(rows: newest.ownedRows, learningRate: configuration.learningRate)
            let (opened, report) = try PushJournal.recover(journalConfiguration, shard: newest, optimizer: optimizer, now: .now)
            for rejected in report.rejectedSnapshots { logger.warning("snapshot not used", metadata: ["reason": "\(rejected)"]) }
            if let damage = report.damage {
                logger.error("push log damaged; kept the intact prefix, cut the rest", metadata: ["damage": "\(damage)"])
            }
            logger.info("restored pushed rows", metadata: report.metadata)
            (journal, restored) = (opened, optimizer)
        }
        let socket = try Socket.serverRouter(
            context, bind: configuration.pushBind, maxMessageSize: lookup.limits.hardMessageBytes, curve: lookup.curve)
        logger.info(
            "accepting gradient pushes",
            metadata: [
                "endpoint": "\(socket.lastEndpoint)", "learning-rate": "\(configuration.learningRate)",
                "durable": "\(configuration.journal.map { "\($0.directory), sync \($0.syncPolicy)" } ?? "no")",
            ])
        let handler = PushHandler(
            shards: shards, limits: lookup.limits, learningRate: configuration.learningRate, journal: journal, restored: restored,
            dense: configuration.sharedDense.map { SharedDenseWeights(version: $0.version, weights: $0.weights) },
            metrics: PushMetrics(telemetry: telemetry))
        return PushEndpoint(socket: socket, handler: handler, logger: logger, now: .now)
    }
}
