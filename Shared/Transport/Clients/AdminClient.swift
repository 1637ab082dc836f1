import Wire
import ZeroMQ

/// Talks to the gateway's admin endpoint (`recctl status`, `recctl rollout`), one request at a
/// time. Not Sendable: one per thread.
public final class AdminClient {
    let socket: Socket
    let endpoint: String
    private var nextRequestID = UInt64.random(in: 1...(UInt64.max >> 8))

    public init(context: ZMQContext, endpoint: String) throws(ClientError) {
        self.endpoint = endpoint
        do {
            socket = try Socket(context, .dealer)
            try socket.setReconnectInterval(milliseconds: 50, max: 1_000)
            try socket.connect(endpoint)
        } catch {
            throw ClientError(.transport, "cannot connect to the gateway's admin endpoint at \(endpoint): \(error)")
        }
    }

    /// The gateway's status.
    public func status(timeoutMilliseconds: Int = 2_000) throws(ClientError) -> Result<GatewayStatus, ServiceError> {
        try send(.status, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Replaces the traffic split; the gateway's status after the change, or why it refused.
    public func setSplit(_ shares: [VersionShare], timeoutMilliseconds: Int = 2_000) throws(ClientError) -> Result<
        GatewayStatus, ServiceError
    > {
        try send(.setSplit(shares), timeoutMilliseconds: timeoutMilliseconds)
    }

    private func send(_ command: AdminRequest.Command, timeoutMilliseconds: Int) throws(ClientError) -> Result<
        GatewayStatus, ServiceError
    > {
        let request = AdminRequest(requestID: nextRequestID, command: command)
        nextRequestID &+= 1
        do { try socket.send(parts: [request.encoded()]) } catch {
            throw ClientError(.transport, "cannot send to the gateway's admin endpoint: \(error)")
        }
        let giveUp = Deadline.after(milliseconds: timeoutMilliseconds)
        while true {
            let remaining = Int(giveUp.remaining().milliseconds)
            var poller = Poller([socket])
            let ready: Bool
            do { ready = remaining > 0 ? try poller.poll(timeoutMilliseconds: remaining)[0] : false } catch {
                throw ClientError(.transport, "\(error)")
            }
            guard ready, let frames = try? socket.receiveMessage(dontWait: true) else {
                throw ClientError(
                    .timeout,
                    "no reply from the gateway's admin endpoint \(endpoint) within \(timeoutMilliseconds) ms; is the gateway running, with this --admin-bind?"
                )
            }
            guard frames.count == 1 else { continue }
            let reply: AdminReply
            do { reply = try frames[0].withUnsafeBytes { bytes throws(WireError) in try AdminReply(decoding: bytes) } } catch {
                throw ClientError(.badReply, "the gateway's admin reply could not be decoded: \(error)")
            }
            if reply.requestID == request.requestID || reply.requestID == 0 { return reply.result }
        }
    }
}
