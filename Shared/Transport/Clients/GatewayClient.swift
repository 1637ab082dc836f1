import Wire
import ZeroMQ

/// A client failure that never reached a reply, with what kind it was so callers (`recctl bench`)
/// can count timeouts apart from unreadable replies.
public struct ClientError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// No reply within the time allowed.
        case timeout
        /// A reply came but could not be decoded.
        case badReply
        /// The socket could not be set up or used.
        case transport
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
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
    public init(context: ZMQContext, endpoint: String, curve: CurveClientSettings? = nil) throws(ClientError) {
        do {
            socket = try Socket(context, .dealer)
            try socket.applyCurve(curve)
            try socket.setReconnectInterval(milliseconds: 50, max: 1_000)
            try socket.connect(endpoint)
        } catch {
            throw ClientError(.transport, "cannot connect to the gateway at \(endpoint): \(error)")
        }
        nextRequestID = UInt64.random(in: 1...(UInt64.max >> 8))
    }

    /// Fills in a fresh request id and, if missing, a deadline `timeoutMilliseconds` from now;
    /// waits that long (plus a margin) for the reply.
    public func recommend(_ request: RecommendRequest, timeoutMilliseconds: Int = 2_000) throws(ClientError) -> RecommendReply {
        var request = request
        request.header.requestID = nextRequestID
        nextRequestID &+= 1
        if request.header.deadline == nil { request.header.deadline = .after(milliseconds: timeoutMilliseconds) }
        do { try socket.send(parts: [request.encoded()]) } catch { throw ClientError(.transport, "cannot send to the gateway: \(error)") }
        let giveUp = Deadline.after(milliseconds: timeoutMilliseconds + 1_000)
        while true {
            let remaining = Int(giveUp.remaining().milliseconds)
            guard remaining > 0, let frames = try receive(timeoutMilliseconds: remaining) else {
                throw ClientError(.timeout, "no reply from the gateway within \(timeoutMilliseconds + 1_000) ms; is it running?")
            }
            guard frames.count == 1 else { continue }
            let reply: RecommendReply
            do { reply = try frames[0].withUnsafeBytes { bytes throws(WireError) in try RecommendReply(decoding: bytes) } } catch {
                throw ClientError(.badReply, "the gateway's reply could not be decoded: \(error)")
            }
            if reply.requestID == request.header.requestID || reply.requestID == 0 { return reply }
        }
    }

    /// Sends arbitrary frames (tests use this to send malformed input).
    public func sendRaw(_ parts: [[UInt8]]) throws(ClientError) {
        do { try socket.send(parts: parts) } catch { throw ClientError(.transport, "cannot send to the gateway: \(error)") }
    }

    /// Waits for one message; nil on timeout.
    public func receive(timeoutMilliseconds: Int) throws(ClientError) -> [Frame]? {
        do {
            var poller = Poller([socket])
            guard try poller.poll(timeoutMilliseconds: timeoutMilliseconds)[0] else { return nil }
            return try socket.receiveMessage(dontWait: true)
        } catch {
            throw ClientError(.transport, "cannot receive from the gateway: \(error)")
        }
    }
}
