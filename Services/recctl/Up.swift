import ArgumentParser
import Clients
import Foundation
import Logging
import Model
import ServiceLifecycle
import ServiceRuntime
import SuiteLauncher
import Wire
import ZeroMQ

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the whole suite locally on loopback and stop every child cleanly on Ctrl-C or SIGTERM.")

    @Option(help: "Model file (make one with `recctl init-model`).")
    var model: String
    @Option(help: "Scorer replicas.")
    var scorers = SuitePlan(model: "").scorers
    @Option(help: "History-encoder replicas.")
    var encoders = SuitePlan(model: "").encoders
    @Option(help: "Generator replicas (generative retrieval; default: 1 when the model has a trained generator, else 0).")
    var generators: Int?
    @Option(help: "Embedding-server shards.")
    var shards = 1
    @Option(help: "Host to bind every service to.")
    var host = DefaultEndpoints.host
    @Option(
        help:
            "Gateway client port; workers use port+\(DefaultEndpoints.workersOffset), embedding shards port+\(DefaultEndpoints.embeddingOffset) onwards."
    )
    var port = DefaultEndpoints.gatewayPort
    @Option(help: "Folder holding the service executables (default: the folder recctl is in).")
    var binDir: String?
    @Option(help: "Log level passed to every service.")
    var logLevel = SuitePlan(model: "").logLevel
    @Option(help: "Dense layers of the encoders and scorers: f32, or int8 (see `scorer --help`).")
    var dense = "f32"
    @Option(
        help:
            "Serve Prometheus metrics from every service on --host, from this port upwards (embedding shards, gateway, encoders, scorers, in that order; off when unset)."
    )
    var metricsPort: Int?
    @Option(
        help:
            "Route of requests whose candidates make one slice, passed to the gateway: scorer (one hop) or encoder (default: the gateway's, scorer)."
    )
    var singleSlice: String?
    @Option(help: "Require CURVE on the gateway's client endpoint with this key file (NAME.key from `recctl keys`).")
    var curveKey: String?
    @Option(help: "File of client public keys the gateway lets in; needed with --curve-key.")
    var curveAllowedClients: String?

    func validate() throws {
        guard scorers >= 1, encoders >= 1, shards >= 1, (generators ?? 0) >= 0 else {
            throw ValidationError("--scorers, --encoders and --shards must be at least 1")
        }
        guard DenseMode(rawValue: dense) != nil else { throw ValidationError("--dense is f32 or int8, not \(dense)") }
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("model file \(model) does not exist; make one with `recctl init-model --output \(model)`")
        }
        guard (curveKey == nil) == (curveAllowedClients == nil) else {
            throw ValidationError("--curve-key and --curve-allowed-clients go together")
        }
        if let singleSlice, !["scorer", "encoder"].contains(singleSlice) {
            throw ValidationError("--single-slice must be scorer or encoder, not '\(singleSlice)'")
        }
    }

    /// With CURVE on, the readiness probe needs a key the gateway allows: a fresh pair, its public
    /// key appended to a copy of the allowed list that the gateway is given instead.
    func curveProbe(plan: inout SuitePlan) throws -> CurveClientSettings? {
        guard let curveKey, let curveAllowedClients else { return nil }
        let probe = try CurveKeyPair.generate()
        let allowed = try String(contentsOfFile: curveAllowedClients, encoding: .utf8)
        let merged = NSTemporaryDirectory() + "recctl-up-\(getpid())-allowed.pub"
        try (allowed + "\n# recctl up's readiness probe\n" + probe.publicKey + "\n").write(
            toFile: merged, atomically: true, encoding: .utf8)
        plan.gatewayArguments += ["--curve-key", curveKey, "--curve-allowed-clients", merged]
        return CurveClientSettings(serverPublicKey: try CurveKeyPair.load(path: curveKey).publicKey, keys: probe)
    }

    func run() async throws {
        var plan = SuitePlan(model: model, host: host, port: port, shards: shards)
        (plan.scorers, plan.encoders, plan.logLevel) = (scorers, encoders, logLevel)
        plan.generators = try generators ?? (ModelFile.hasGenerator(path: model) ? 1 : 0)
        if let metricsPort { plan.metricsBinds = (0..<plan.processCount).map { "\(host):\(metricsPort + $0)" } }
        if let singleSlice { plan.gatewayArguments += ["--single-slice", singleSlice] }
        if dense != "f32" { plan.replicaArguments += ["--dense", dense] }
        let probeCurve = try curveProbe(plan: &plan)
        let suite = LocalSuite(
            plan: plan, probeCurve: probeCurve,
            supervisor: Supervisor(binDirectory: binDir ?? Supervisor.ownFolder) { name, status in
                FileHandle.standardError.write(Data("recctl: \(name) exited unexpectedly (status \(status))\n".utf8))
            })
        // swift-service-lifecycle owns SIGINT/SIGTERM from here on: a signal during start-up still
        // stops the children that were started.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: suite, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "recctl up")))
        try await group.run()
    }
}

/// The suite's children as one lifecycle service: start them, report readiness, and stop them
/// all when the group shuts down.
struct LocalSuite: Service {
    let plan: SuitePlan
    var probeCurve: CurveClientSettings? = nil
    let supervisor: Supervisor

    func run() async throws {
        defer {
            print("stopping children")
            supervisor.stopAll()
            print("stopped")
        }
        try supervisor.start(plan)
        print("gateway          clients: \(plan.gatewayClients)   replicas register at: \(plan.gatewayWorkers)")
        for (index, endpoint) in plan.embeddingShards.enumerated() {
            print("embedding-server shard \(index)/\(plan.embeddingShards.count): \(endpoint)")
        }
        print(
            "history-encoder  x\(plan.encoders)   scorer x\(plan.scorers)   generator x\(plan.generators)   (connected out to \(plan.gatewayWorkers))"
        )
        for (process, bind) in zip(plan.processes, plan.metricsBinds) {
            print("metrics          \(process.name): http://\(bind)/metrics")
        }
        let started = Date()
        if await Readiness.wait(plan: plan, curve: probeCurve, seconds: 60) {
            print(
                String(
                    format: "ready in %.1f s: try `recctl query --history 1,2,3 -k 5`; Ctrl-C stops everything",
                    Date().timeIntervalSince(started)))
        } else if !Task.isShuttingDownGracefully {
            print(
                "warning: within 60 s the suite did not register every replica and answer a probe query; check the logs above (`recctl status --admin \(plan.gatewayAdmin)` shows which replicas registered)"
            )
        }
        try? await gracefulShutdown()
    }
}

/// Waits until every replica of the plan has registered at the gateway and a tiny real query
/// answers (or shutdown begins). The query alone is not enough: a one-candidate probe goes to a
/// scorer in one hop, so it can answer before the encoders or generators have registered.
enum Readiness {
    static func wait(plan: SuitePlan, curve: CurveClientSettings? = nil, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let context = ZMQContext()
        let expected = plan.replicasByService.filter { $0.value > 0 }
        var registered = false
        while Date() < deadline && !Task.isShuttingDownGracefully {
            if !registered, let admin = try? AdminClient(context: context, endpoint: plan.gatewayAdmin),
                case .success(let status)? = try? admin.status(timeoutMilliseconds: 500)
            {
                let counts = Dictionary(status.replicas.map { ($0.service, 1) }, uniquingKeysWith: +)
                registered = expected.allSatisfy { counts[$0.key, default: 0] >= $0.value }
            }
            if registered, let client = try? GatewayClient(context: context, endpoint: plan.gatewayClients, curve: curve) {
                let probe = RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: "readiness-probe", history: [0], candidates: [0], k: 1)
                if let reply = try? client.recommend(probe, timeoutMilliseconds: 500), reply.error == nil { return true }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}
