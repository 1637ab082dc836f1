/// How one socket takes part in CURVE between RecServe's own services: its key pair, and for a
/// client the server's public key.
///
/// A value, so configuration carries it to whichever thread makes the socket.
public struct CurveClientSettings: Sendable, Equatable {
    public var serverPublicKey: String
    public var keys: CurveKeyPair

    public init(serverPublicKey: String, keys: CurveKeyPair) {
        self.serverPublicKey = serverPublicKey
        self.keys = keys
    }
}

/// A CURVE server endpoint: its key pair and the client public keys allowed in, checked by the
/// context's `ZAPHandler` under `domain`.
public struct CurveServerSettings: Sendable, Equatable {
    public var keys: CurveKeyPair
    public var allowedClients: [String]
    public var domain: String

    public init(keys: CurveKeyPair, allowedClients: [String], domain: String) {
        self.keys = keys
        self.allowedClients = allowedClients
        self.domain = domain
    }
}

extension Socket {
    /// Applies client settings when there are any (plaintext otherwise).
    public func applyCurve(_ settings: CurveClientSettings?) throws(ZMQError) {
        guard let settings else { return }
        try makeCurveClient(serverKey: settings.serverPublicKey, keys: settings.keys)
    }
}

extension CurveServerSettings {
    /// A server's settings from its own key file (which must hold the secret key) and a file of
    /// allowed client public keys.
    public static func load(keyFile: String, allowedClients: String, domain: String) throws -> CurveServerSettings {
        let keys = try CurveKeyPair.load(path: keyFile)
        guard keys.secretKey != nil else {
            throw CurveKeyError(.missingSecretKey, path: keyFile, "has no secret-key: give this service's own NAME.key")
        }
        return CurveServerSettings(keys: keys, allowedClients: try CurveKeyPair.loadPublicKeys(path: allowedClients), domain: domain)
    }
}
