import ArgumentParser
import ZeroMQ

/// The ZAP domain of every service-to-service endpoint (the gateway's client endpoint is "clients").
public let internalCurveDomain = "internal"

/// Flags of a service whose endpoints other RecServe services connect to (gateway's worker
/// endpoint, embedding-server): CURVE with an allow-list of the services' public keys. Off unless
/// `--internal-key` is given.
public struct InternalCurveServerOptions: ParsableArguments {
    @Option(help: "This service's key file (NAME.key from `recctl keys`); requires CURVE from the services that connect to it.")
    public var internalKey: String?
    @Option(help: "File of the public keys of services allowed to connect (one per line); needed with --internal-key.")
    public var internalPeers: String?

    public init() {}

    public func validate() throws {
        guard (internalKey == nil) == (internalPeers == nil) else {
            throw ValidationError("--internal-key and --internal-peers go together")
        }
    }

    public func settings() throws -> CurveServerSettings? {
        guard let internalKey, let internalPeers else { return nil }
        return try CurveServerSettings.load(keyFile: internalKey, allowedClients: internalPeers, domain: internalCurveDomain)
    }
}

/// Flags of a service that connects to the embedding-server with CURVE (history-encoder, scorer,
/// trainer). Off unless `--internal-key` is given.
public struct InternalCurveClientOptions: ParsableArguments {
    @Option(help: "This service's key file (NAME.key from `recctl keys`); its public key must be in the servers' --internal-peers.")
    public var internalKey: String?
    @Option(help: "The embedding-server's public key file (NAME.pub), for CURVE to it; needed with --internal-key.")
    public var internalEmbeddingKey: String?

    public init() {}

    public func validate() throws {
        guard (internalKey == nil) == (internalEmbeddingKey == nil) else {
            throw ValidationError("--internal-key and --internal-embedding-key go together")
        }
    }

    /// This service's own keys, when CURVE is on.
    public func keys() throws -> CurveKeyPair? {
        guard let internalKey else { return nil }
        let keys = try CurveKeyPair.load(path: internalKey)
        guard keys.secretKey != nil else {
            throw CurveKeyError(.missingSecretKey, path: internalKey, "has no secret-key: give this service's own NAME.key")
        }
        return keys
    }

    public func embedding() throws -> CurveClientSettings? {
        guard let keys = try keys(), let internalEmbeddingKey else { return nil }
        return CurveClientSettings(serverPublicKey: try CurveKeyPair.load(path: internalEmbeddingKey).publicKey, keys: keys)
    }
}
