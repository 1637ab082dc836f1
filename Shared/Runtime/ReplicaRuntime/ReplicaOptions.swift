import ArgumentParser
import Broker
import ServiceRuntime
import ZeroMQ

/// Flags shared by the replicas that register with the gateway (history-encoder, scorer).
public struct ReplicaOptions: ParsableArguments {
    @Option(help: "Model file (safetensors); only its dense weights are loaded.")
    public var model: String
    @Option(help: "The gateway's worker endpoint to register with.")
    public var gateway = WorkerConfiguration(service: "").brokerEndpoint
    @Option(help: "Embedding-server endpoints, one per shard, comma-separated, in shard order.")
    public var embedding = DefaultEndpoints.embedding()
    @Option(help: "Compute threads (requests handled at once; also the credits announced to the broker).")
    public var threads = WorkerConfiguration(service: "").threads
    @Option(help: "Heartbeat interval in milliseconds (must match the gateway's).")
    public var heartbeatMs = WorkerProtocol.defaultHeartbeat.milliseconds
    @Option(help: "How often to check the model file for a new version, in milliseconds (0: never).")
    public var reloadIntervalMs = ModelReload.defaultInterval.milliseconds
    @Option(
        help:
            "How long a newly loaded model version is held before histories this replica encodes use it, in milliseconds (lets the other tiers load it first)."
    )
    public var activationDelayMs: Int64 = 5_000
    @Option(
        help: ArgumentHelp(
            "Dense layers: f32, or int8 (int8 weights and activations on the int8 GEMM; falls back to f32, with a log line, on a CPU without int8 dot-product instructions).",
            valueName: "f32|int8"))
    public var dense = "f32"
    @Option(help: "File touched while registered with a live broker (for container health checks; `recctl health --file`).")
    public var healthFile: String?
    @OptionGroup public var curve: InternalCurveClientOptions
    @Option(help: "The gateway's public key file (NAME.pub), for CURVE to its worker endpoint; needs --internal-key.")
    public var internalGatewayKey: String?
    @OptionGroup public var limits: LimitOptions
    @OptionGroup public var service: ServiceOptions

    public init() {}

    public func validate() throws {
        guard ["f32", "int8"].contains(dense) else { throw ValidationError("--dense is f32 or int8, not \(dense)") }
        if internalGatewayKey != nil && curve.internalKey == nil {
            throw ValidationError("--internal-gateway-key needs --internal-key (this replica's own key file)")
        }
        guard threads >= 1, heartbeatMs >= 1 else { throw ValidationError("--threads and --heartbeat-ms must be at least 1") }
        guard activationDelayMs >= 0 else { throw ValidationError("--activation-delay-ms must not be negative") }
    }

    public var embeddingEndpoints: [String] { Endpoint.list(embedding) }

    /// CURVE settings for the broker connection, when on.
    public func gatewayCurve() throws -> CurveClientSettings? {
        guard let keys = try curve.keys(), let internalGatewayKey else { return nil }
        return CurveClientSettings(serverPublicKey: try CurveKeyPair.load(path: internalGatewayKey).publicKey, keys: keys)
    }

    /// The broker connection these flags describe.
    public func workerConfiguration(service: String) throws -> WorkerConfiguration {
        var configuration = WorkerConfiguration(service: service)
        configuration.brokerEndpoint = Endpoint.normalize(gateway)
        configuration.threads = threads
        configuration.protocolTimers.heartbeat = .milliseconds(heartbeatMs)
        if healthFile != nil { configuration.protocolTimers.healthFileInterval = .seconds(1) }
        configuration.healthFile = healthFile
        configuration.curve = try gatewayCurve()
        return configuration
    }
}
