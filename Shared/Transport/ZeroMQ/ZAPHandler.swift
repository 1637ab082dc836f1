/// ZeroMQ's authentication protocol (ZAP, RFC 27) for CURVE: libzmq asks, over
/// `inproc://zeromq.zap.01`, whether a client's public key may connect; this answers from an
/// allow-list. One per context, so a process with several CURVE endpoints (the gateway's clients
/// and its replicas) keeps one allow-list per ZAP domain. Owned by one loop thread.
public final class ZAPHandler {
    public static let endpoint = "inproc://zeromq.zap.01"
    public let socket: Socket
    private let allowed: [[UInt8]: Set<[UInt8]>]
    public private(set) var refused = 0

    /// Must be made before any CURVE server socket of `context` binds. `allowedPublicKeys` maps a
    /// ZAP domain to the public keys allowed in through the sockets of that domain.
    public init(context: ZMQContext, allowedPublicKeys: [String: [String]]) throws {
        socket = try Socket(context, .rep)
        try socket.bind(Self.endpoint)
        allowed = Dictionary(
            uniqueKeysWithValues: allowedPublicKeys.map { domain, keys in
                (Array(domain.utf8), Set(keys.compactMap { CurveKeyPair.rawBytes(z85: $0) }))
            })
    }

    /// A handler for every server endpoint in `servers` (nil when none uses CURVE).
    public static func forServers(context: ZMQContext, _ servers: [CurveServerSettings?]) throws -> ZAPHandler? {
        let present = servers.compactMap { $0 }
        guard !present.isEmpty else { return nil }
        return try ZAPHandler(
            context: context,
            allowedPublicKeys: Dictionary(present.map { ($0.domain, $0.allowedClients) }, uniquingKeysWith: +))
    }

    /// Answers every pending request; returns "domain: key" (hex) for each refusal, for logging.
    public func answerPending() throws -> [String] {
        var refusedKeys: [String] = []
        while let frames = try socket.receiveMessage(dontWait: true) {
            let (reply, refusedKey) = Self.reply(to: frames.map(\.bytes), allowed: allowed)
            if let refusedKey {
                refused += 1
                refusedKeys.append(refusedKey)
            }
            try socket.send(parts: reply)
        }
        return refusedKeys
    }

    /// The reply frames for a request: 200 for a CURVE key allowed in its domain, 400 otherwise.
    static func reply(to request: [[UInt8]], allowed: [[UInt8]: Set<[UInt8]>]) -> (frames: [[UInt8]], refusedKey: String?) {
        let version = Array("1.0".utf8)
        let requestID = request.count > 1 ? request[1] : []
        guard request.count >= 7, request[0] == version, request[5] == Array("CURVE".utf8), request[6].count == 32 else {
            return ([version, requestID, Array("400".utf8), Array("not a CURVE request".utf8), [], []], "malformed")
        }
        if allowed[request[2]]?.contains(request[6]) == true {
            return ([version, requestID, Array("200".utf8), Array("OK".utf8), [], []], nil)
        }
        let hex = request[6].map { String($0, radix: 16) }.joined()
        let domain = String(decoding: request[2], as: UTF8.self)
        return ([version, requestID, Array("400".utf8), Array("client key not allowed".utf8), [], []], "\(domain): \(hex)")
    }
}
