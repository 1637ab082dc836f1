import Wire
import ZeroMQ

/// A client failure that never reached a reply.
public struct ClientError: Error, CustomStringConvertible {
    public let description: String
}

/// Talks to the gateway's client endpoint (DEALER), one request at a time.
///
/// Not Sendable: one per thread. Replies are matched by request id, so an answer that arrives after
/// its caller gave up is discarded rather than mistaken for the next one.
public final class GatewayClient {
    let socket: Socket
    private var nextRequestID: UInt64

    /// With `curve`, the connection is encrypted and authenticated: the gateway's public key and
    /// this client's key pair (which the gateway must allow).
    public init(context: ZMQContext, endpoint: String, curve: (serverKey: String, keys: CurveKeyPair)? = nil) throws {
        socket = try Socket(context, .dealer)
        if let curve { try socket.makeCurveClient(serverKey: curve.serverKey, keys: curve.keys) }
        try socket.setReconnectInterval(milliseconds: 50, max: 1_000)
        try socket.connect(endpoint)
        nextRequestID = UInt64.random(in: 1...(UInt64.max >> 8))
    }

    /// Fills in a fresh request id and, if missing, a deadline `timeoutMilliseconds` from now;
    /// waits that long (plus a margin) for the reply.
    public func recommend(_ request: RecommendRequest, timeoutMilliseconds: Int = 2_000) throws -> RecommendReply {
        var request = request
        request.header.requestID = nextRequestID
        nextRequestID &+= 1
        if request.header.deadline == nil { request.header.deadline = .after(milliseconds: timeoutMilliseconds) }
        try socket.send(parts: [request.encoded()])
        let giveUp = Deadline.after(milliseconds: timeoutMilliseconds + 1_000)
        while true {
            let remaining = Int(giveUp.remainingMicros / 1000)
            guard remaining > 0, let frames = try receive(timeoutMilliseconds: remaining) else {
                throw ClientError(description: "no reply from the gateway within \(timeoutMilliseconds + 1_000) ms; is it running?")
            }
            guard frames.count == 1 else { continue }
            let reply = try frames[0].withUnsafeBytes { try RecommendReply(decoding: $0) }
            if reply.requestID == request.header.requestID || reply.requestID == 0 { return reply }
        }
    }

    /// Sends arbitrary frames (tests use this to send malformed input).
    public func sendRaw(_ parts: [[UInt8]]) throws {
        try socket.send(parts: parts)
    }

    /// Waits for one message; nil on timeout.
    public func receive(timeoutMilliseconds: Int) throws -> [Frame]? {
        var poller = Poller([socket])
        guard try poller.poll(timeoutMilliseconds: timeoutMilliseconds)[0] else { return nil }
        return try socket.receiveMessage(dontWait: true)
    }
}
