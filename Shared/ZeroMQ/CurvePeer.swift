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
