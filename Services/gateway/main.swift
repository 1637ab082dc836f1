import ArgumentParser
import GatewayService
import Logging
import Model
import ServiceRuntime
import ZeroMQ

@main
struct GatewayCommand: AsyncParsableCommand {
    static func main() async { await mainWithEnvironment() }

    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "RecServe's gateway: the client endpoint, and the broker that encoder and scorer replicas register with.",
        discussion: "Every flag can also come from the environment: --log-level is RECSERVE_LOG_LEVEL. Flags on the command line win.")

    @Option(help: "Client endpoint to listen on.")
    var bind = "tcp://127.0.0.1:5555"
    @Option(help: "Endpoint replicas connect to and register with.")
    var workersBind = "tcp://127.0.0.1:5556"
    @Option(help: "Heartbeat interval in milliseconds; a replica silent for 4 intervals is dropped.")
    var heartbeatMs: Int64 = 250
    @Option(help: "Deadline applied to requests that carry none, in milliseconds.")
    var defaultDeadlineMs: Int64 = 2_000
    @Option(help: "Largest k a client may ask for.")
    var maxK = 1_000
    @Option(help: "Requests in flight before new ones are refused with OVERLOADED.")
    var maxPending = 1_024
    @Option(
        help: ArgumentHelp(
            "Users whose last good answer is kept for overload (0: off).",
            discussion:
                "Over capacity, a user with a kept answer for the same candidates gets it back flagged degraded instead of OVERLOADED."
        ))
    var degradedAnswerUsers = 0
    @Option(help: "Fewest candidates given to one scorer slice.")
    var minSlice = 128
    @Option(help: "Largest request answered (larger ones get a BAD_REQUEST reply), in bytes.")
    var maxRequestBytes = Limits().messageBytes
    @Option(help: "Messages larger than this make libzmq drop the connection (ZMQ_MAXMSGSIZE), in bytes.")
    var hardMaxMessageBytes = Limits().hardMessageBytes
    @Option(help: "Require CURVE on the client endpoint with this key file (from `recctl keys`; holds the secret key).")
    var curveKey: String?
    @Option(help: "File of client public keys allowed in (one per line); needed with --curve-key.")
    var curveAllowedClients: String?
    @OptionGroup var internalCurve: InternalCurveServerOptions
    @OptionGroup var options: ServiceOptions

    func validate() throws {
        guard (curveKey == nil) == (curveAllowedClients == nil) else {
            throw ValidationError("--curve-key and --curve-allowed-clients go together")
        }
    }

    func run() async throws {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        ServiceMain.bootstrapLogging(level: options.logLevel)
        let logger = Logger(label: "gateway")
        var configuration = GatewayConfiguration()
        configuration.clientBind = Endpoint.normalize(bind)
        configuration.workerBind = Endpoint.normalize(workersBind)
        configuration.broker.heartbeatMilliseconds = heartbeatMs
        configuration.defaultDeadlineMilliseconds = defaultDeadlineMs
        configuration.limits.maxK = maxK
        configuration.maxPendingRequests = maxPending
        configuration.degradedAnswerUsers = max(0, degradedAnswerUsers)
        configuration.minSliceCandidates = max(1, minSlice)
        configuration.limits.messageBytes = maxRequestBytes
        configuration.limits.hardMessageBytes = hardMaxMessageBytes
        if let curveKey, let curveAllowedClients {
            let keys = try CurveKeyPair.load(path: curveKey)
            guard keys.secretKey != nil else { throw ValidationError("\(curveKey) has no secret-key: give the gateway's secret key file") }
            configuration.clientCurve = CurveServerSettings(
                keys: keys, allowedClients: try CurveKeyPair.loadPublicKeys(path: curveAllowedClients), domain: "clients")
        }
        configuration.workerCurve = try internalCurve.settings()
        let server = GatewayServer(configuration: configuration, logger: logger)
        let context = ZMQContext()
        try await ServiceMain.run([BlockingLoopService(name: "gateway") { try server.run(context: context, stop: $0) }], logger: logger)
    }
}
