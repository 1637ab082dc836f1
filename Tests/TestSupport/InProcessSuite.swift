import Clients
import EmbeddingServing
import EncoderService
import Foundation
import GatewayService
import HistoryEncoding
import Logging
import Model
import ReplicaRuntime
import ScorerService
import ServiceRuntime
import ZeroMQ

/// The whole suite (embedding-server, gateway, encoder, scorers) on threads of the test process,
/// talking over real loopback sockets: the same code paths as the executables, but quick to
/// start and visible to a debugger. The `.inProcess` half of `SuiteMode`.
public final class InProcessSuite: RunningSuite {
    public let gateway: String
    public let workers: String
    public let embedding: String
    private let stop = StopFlag()
    private var threads: [Thread] = []
    private let failures = FailureLog()

    public init(model: ModelFile, scorers: Int, gatewayLimits: Limits = Limits()) throws {
        let ports = try FreePorts.take(3)
        (gateway, workers, embedding) = ports.map { "tcp://127.0.0.1:\($0)" }.triple
        let logger = {
            var logger = Logger(label: "in-process-suite")
            logger.logLevel = .warning
            return logger
        }()
        let context = ZMQContext()

        var lookup = EmbeddingServerConfiguration()
        lookup.bind = embedding
        let shard = EmbeddingShard(table: model.itemTable!, shard: 0, shards: 1, modelVersion: model.config.version)
        let embeddingServer = EmbeddingServer(
            handler: EmbeddingRequestHandler(shard: shard, limits: Limits()), configuration: lookup, logger: logger)
        spawn("embedding-server") { try embeddingServer.run(context: context, stop: $0) }

        var configuration = GatewayConfiguration()
        (configuration.clientBind, configuration.workerBind, configuration.limits) = (gateway, workers, gatewayLimits)
        configuration.adminBind = "tcp://127.0.0.1:*"
        let gatewayServer = GatewayServer(configuration: configuration, logger: logger)
        spawn("gateway") { try gatewayServer.run(context: context, stop: $0) }

        let models = VersionRegistry(version: model.config.version, value: SequenceModel(file: model))
        let (embedding, workers) = (embedding, workers)
        let cache = EncodingCache(capacity: 64)
        spawn("history-encoder") {
            try Self.replica("history-encoder", workers: workers, context: context, logger: logger) {
                EncoderHandler(
                    models: models, embeddings: try EmbeddingClient(context: context, endpoints: [embedding]), cache: cache,
                    limits: Limits(), cacheRows: 10_000)
            }.run(stop: $0)
        }
        let scorerEncodings = EncodingCache(capacity: 64)
        for index in 0..<scorers {
            spawn("scorer-\(index)") {
                try Self.replica("scorer", workers: workers, context: context, logger: logger) {
                    ScorerHandler(
                        models: models, embeddings: try EmbeddingClient(context: context, endpoints: [embedding]), limits: Limits(),
                        cacheRows: 1_000, encodings: scorerEncodings)
                }.run(stop: $0)
            }
        }
    }

    deinit {
        stop.stop()
        for thread in threads { while !thread.isFinished { usleep(1_000) } }
    }

    public var allRunning: Bool { failures.all.isEmpty && threads.allSatisfy { !$0.isFinished } }

    public func logs() -> String { failures.all.joined(separator: "\n") }

    private static func replica(
        _ service: String, workers: String, context: ZMQContext, logger: Logger,
        makeHandler: @escaping @Sendable () throws -> any RequestHandler
    ) -> WorkerRuntime {
        var configuration = WorkerConfiguration(service: service)
        configuration.brokerEndpoint = workers
        return WorkerRuntime(configuration: configuration, context: context, logger: logger, makeHandler: makeHandler)
    }

    private func spawn(_ name: String, _ body: @escaping @Sendable (StopFlag) throws -> Void) {
        let (stop, failures) = (stop, failures)
        let thread = Thread {
            do { try body(stop) } catch { failures.record("\(name) failed: \(error)") }
        }
        thread.name = name
        thread.start()
        threads.append(thread)
    }
}

/// A running suite, whichever way it was started.
public protocol RunningSuite: AnyObject {
    /// The gateway's client endpoint.
    var gateway: String { get }
    /// The gateway's worker endpoint (replicas register here).
    var workers: String { get }
    var embedding: String { get }
    /// Whether every part is still up (none crashed on what a test sent).
    var allRunning: Bool { get }
    /// What to show when a test fails.
    func logs() -> String
}

extension ServiceCluster: RunningSuite {
    public var allRunning: Bool { names.allSatisfy(isRunning) }
}

/// How a test runs the suite: the same test body, on threads of the test process or as the real
/// executables (as Hummingbird's tests run one body against `.router` and `.live`).
public enum SuiteMode: String, CaseIterable, Sendable, CustomStringConvertible {
    case inProcess
    case processes

    public var description: String { rawValue }

    public func start(model: ModelFile, scorers: Int, gatewayLimits: Limits = Limits()) throws -> any RunningSuite {
        switch self {
        case .inProcess: return try InProcessSuite(model: model, scorers: scorers, gatewayLimits: gatewayLimits)
        case .processes:
            let flags = [
                "--max-request-bytes", "\(gatewayLimits.messageBytes)", "--hard-max-message-bytes", "\(gatewayLimits.hardMessageBytes)",
                "--max-k", "\(gatewayLimits.maxK)", "--max-candidates", "\(gatewayLimits.maxCandidates)", "--max-history",
                "\(gatewayLimits.maxHistory)",
            ]
            return try ServiceCluster(model: model, scorers: scorers, gatewayArguments: flags)
        }
    }
}

extension Array {
    fileprivate var triple: (Element, Element, Element) { (self[0], self[1], self[2]) }
}
