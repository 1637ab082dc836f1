/// ZeroMQ's authentication protocol (ZAP, RFC 27) for CURVE: libzmq asks, over
/// `inproc://zeromq.zap.01`, whether a client's public key may connect; this answers from an
/// allow-list. Owned by one loop thread, like every socket.
public final class ZAPHandler {
    public static let endpoint = "inproc://zeromq.zap.01"
    public let socket: Socket
    private let allowed: Set<[UInt8]>
    public private(set) var refused = 0

    /// Must be made before any CURVE server socket of `context` binds.
    public init(context: ZMQContext, allowedPublicKeys: [String]) throws {
        socket = try Socket(context, .rep)
        try socket.bind(Self.endpoint)
        allowed = Set(allowedPublicKeys.compactMap { CurveKeyPair.rawBytes(z85: $0) })
    }

    /// Answers every pending request; returns the keys (Z85-free, hex) it refused, for logging.
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

    /// The reply frames for a request: 200 for an allowed CURVE key, 400 otherwise.
    static func reply(to request: [[UInt8]], allowed: Set<[UInt8]>) -> (frames: [[UInt8]], refusedKey: String?) {
        let version = Array("1.0".utf8)
        let requestID = request.count > 1 ? request[1] : []
        guard request.count >= 7, request[0] == version, request[5] == Array("CURVE".utf8), request[6].count == 32 else {
            return ([version, requestID, Array("400".utf8), Array("not a CURVE request".utf8), [], []], "malformed")
        }
        if allowed.contains(request[6]) {
            return ([version, requestID, Array("200".utf8), Array("OK".utf8), [], []], nil)
        }
        let hex = request[6].map { String($0, radix: 16) }.joined()
        return ([version, requestID, Array("400".utf8), Array("client key not allowed".utf8), [], []], hex)
    }
}
