import ArgumentParser
import GatewayService
import Logging
import ServiceRuntime
import Wire
import ZeroMQ

@main
struct GatewayCommand: AsyncParsableCommand {
    static func main() async { await mainWithEnvironment() }

    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "RecServe's gateway: the client endpoint, and the broker that encoder and scorer replicas register with.",
        discussion: ServiceMain.environmentDiscussion)

    private static let defaults = GatewayConfiguration()

    @Option(help: "Client endpoint to listen on.")
    var bind = defaults.clientBind
    @Option(help: "Endpoint replicas connect to and register with.")
    var workersBind = defaults.workerBind
    @Option(help: "Admin endpoint for `recctl status` and `recctl rollout` (keep it off public interfaces: it changes traffic).")
    var adminBind = defaults.adminBind
    @Option(
        help: ArgumentHelp(
            "Traffic split between model versions, VERSION=PERCENT,... (default: the encoders' active version serves everyone).",
            discussion:
                "Users are assigned by a stable hash of their id, so each stays on one version. Change it at run time with `recctl rollout`."
        ))
    var split: String?
    @Option(help: "Heartbeat interval in milliseconds; a replica silent for \(defaults.broker.liveness) intervals is dropped.")
    var heartbeatMs = defaults.broker.heartbeat.milliseconds
    @Option(help: "Deadline applied to requests that carry none, in milliseconds.")
    var defaultDeadlineMs = defaults.defaultDeadline.milliseconds
    @Option(help: "Requests in flight before new ones are refused with OVERLOADED.")
    var maxPending = defaults.maxPendingRequests
    @Option(help: "Requests one client connection may have in flight; more get OVERLOADED naming this limit.")
    var maxPendingPerClient = defaults.maxPendingPerClient
    @Option(help: "Requests one user id may have in flight, over all connections.")
    var maxPendingPerUser = defaults.maxPendingPerUser
    @Option(
        help: ArgumentHelp(
            "Users whose last good answer is kept for overload (0: off).",
            discussion:
                "Over capacity, a user with a kept answer for the same candidates gets it back flagged degraded instead of OVERLOADED."
        ))
    var degradedAnswerUsers = defaults.degradedAnswerUsers
    @Option(help: "Fewest candidates given to one scorer slice.")
    var minSlice = defaults.minSliceCandidates
    @Option(
        help:
            "Catalog size above which a request for all items is answered by generative retrieval instead (unless it asks for retrieval all-items)."
    )
    var generativeAbove = defaults.generativeAbove
    @Option(help: "Items generated for a generative request that does not say how many.")
    var defaultBeam = defaults.defaultBeam
    @Option(help: "The most items a request may ask to generate (more is BAD_REQUEST).")
    var maxBeam = defaults.maxBeam
    @Option(
        help: ArgumentHelp(
            "Route of a request whose candidates make one slice: scorer (one hop: the scorer encodes the history itself) or encoder.",
            discussion:
                "scorer saves a round trip and keeps keys and values off the network; with one slice there is no encoding to share between scorers."
        ))
    var singleSlice: SingleSliceRoute = defaults.singleSliceInOneHop ? .scorer : .encoder
    @Option(help: "Require CURVE on the client endpoint with this key file (from `recctl keys`; holds the secret key).")
    var curveKey: String?
    @Option(help: "File of client public keys allowed in (one per line); needed with --curve-key.")
    var curveAllowedClients: String?
    @OptionGroup var limits: LimitOptions
    @OptionGroup var internalCurve: InternalCurveServerOptions
    @OptionGroup var options: ServiceOptions

    static func parseSplit(_ text: String) throws -> TrafficSplit {
        do { return try TrafficSplit(VersionShare.parse(text)) } catch { throw ValidationError("--split: \(error.message)") }
    }

    func validate() throws {
        if let split { _ = try Self.parseSplit(split) }
        guard (curveKey == nil) == (curveAllowedClients == nil) else {
            throw ValidationError("--curve-key and --curve-allowed-clients go together")
        }
        guard heartbeatMs >= 1, defaultDeadlineMs >= 1, maxPending >= 1, maxPendingPerClient >= 1, maxPendingPerUser >= 1,
            degradedAnswerUsers >= 0, minSlice >= 1, generativeAbove >= 0, defaultBeam >= 1, maxBeam >= defaultBeam
        else {
            throw ValidationError(
                "--heartbeat-ms, --default-deadline-ms, --max-pending(-per-client/-per-user), --min-slice and --default-beam must be at least 1, --max-beam at least --default-beam"
            )
        }
    }

    func run() async throws {
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "gateway")
        var configuration = GatewayConfiguration()
        configuration.clientBind = Endpoint.normalize(bind)
        configuration.workerBind = Endpoint.normalize(workersBind)
        configuration.adminBind = Endpoint.normalize(adminBind)
        if let split { configuration.split = try Self.parseSplit(split) }
        configuration.broker.heartbeat = .milliseconds(heartbeatMs)
        configuration.defaultDeadline = .milliseconds(defaultDeadlineMs)
        configuration.limits = limits.limits
        configuration.maxPendingRequests = maxPending
        configuration.maxPendingPerClient = maxPendingPerClient
        configuration.maxPendingPerUser = maxPendingPerUser
        configuration.degradedAnswerUsers = degradedAnswerUsers
        configuration.minSliceCandidates = minSlice
        (configuration.generativeAbove, configuration.defaultBeam, configuration.maxBeam) = (generativeAbove, defaultBeam, maxBeam)
        configuration.singleSliceInOneHop = singleSlice == .scorer
        if let curveKey, let curveAllowedClients {
            configuration.clientCurve = try CurveServerSettings.load(
                keyFile: curveKey, allowedClients: curveAllowedClients, domain: "clients")
        }
        configuration.workerCurve = try internalCurve.settings()
        let metrics = try options.startMetrics(logger: logger)
        let server = GatewayServer(configuration: configuration, logger: logger, telemetry: metrics.telemetry)
        let context = ZMQContext()
        try await ServiceMain.run([BlockingLoopService(name: "gateway") { try server.run(context: context, stop: $0) }], logger: logger)
        metrics.endpoint?.stop()
    }
}

/// Where a single-slice request's history is encoded.
enum SingleSliceRoute: String, ExpressibleByArgument, CaseIterable {
    case scorer, encoder
}
