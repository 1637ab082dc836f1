import ArgumentParser
import ZeroMQ

/// Flags shared by the replicas that register with the gateway (history-encoder, scorer).
public struct ReplicaOptions: ParsableArguments {
    @Option(help: "Model file (safetensors); only its dense weights are loaded.")
    public var model: String
    @Option(help: "The gateway's worker endpoint to register with.")
    public var gateway = "tcp://127.0.0.1:5556"
    @Option(help: "Embedding-server endpoints, one per shard, comma-separated, in shard order.")
    public var embedding = "tcp://127.0.0.1:5560"
    @Option(help: "Compute threads (requests handled at once; also the credits announced to the broker).")
    public var threads = 1
    @Option(help: "Heartbeat interval in milliseconds (must match the gateway's).")
    public var heartbeatMs: Int64 = 250
    @Option(help: "How often to check the model file for a new version, in milliseconds (0: never).")
    public var reloadIntervalMs = 2_000
    @Option(help: "File touched while registered with a live broker (for container health checks; `recctl health --file`).")
    public var healthFile: String?
    @OptionGroup public var curve: InternalCurveClientOptions
    @Option(help: "The gateway's public key file (NAME.pub), for CURVE to its worker endpoint; needs --internal-key.")
    public var internalGatewayKey: String?
    @OptionGroup public var service: ServiceOptions

    public init() {}

    public func validate() throws {
        if internalGatewayKey != nil && curve.internalKey == nil {
            throw ValidationError("--internal-gateway-key needs --internal-key (this replica's own key file)")
        }
    }

    public var embeddingEndpoints: [String] { Endpoint.list(embedding) }

    /// CURVE settings for the broker connection, when on.
    public func gatewayCurve() throws -> CurveClientSettings? {
        guard let keys = try curve.keys(), let internalGatewayKey else { return nil }
        return CurveClientSettings(serverPublicKey: try CurveKeyPair.load(path: internalGatewayKey).publicKey, keys: keys)
    }
}
