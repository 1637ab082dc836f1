import CZmq

/// A ZeroMQ socket.
///
/// Not `Sendable` on purpose: libzmq sockets must stay on the thread that uses them, and Swift 6
/// then refuses to let one cross a concurrency boundary.
public final class Socket {
    let handle: UnsafeMutableRawPointer
    public let type: SocketType
    /// Held so the context outlives its sockets: `zmq_ctx_term` blocks until every socket is closed.
    private let context: ZMQContext

    public init(_ context: ZMQContext, _ type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw ZMQError("zmq_socket") }
        self.handle = handle
        self.type = type
        self.context = context
        // Never block process exit on unsent messages.
        try setInt(ZMQ_LINGER, 0)
    }

    deinit {
        zmq_close(handle)
    }

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError("connect \(endpoint)") }
    }

    /// The endpoint actually bound (resolves `tcp://host:*` to its port).
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Sending

    /// Sends `frames` as one multipart message. Frames are consumed (their contents move to libzmq).
    public func send(_ frames: [Frame], dontWait: Bool = false) throws(ZMQError) {
        precondition(!frames.isEmpty, "a message has at least one frame")
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            guard zmq_msg_send(frame.msg, handle, flags) >= 0 else { throw ZMQError("send") }
        }
    }

    /// Sends byte arrays as one multipart message.
    public func send(parts: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        try send(parts.map(Frame.init), dontWait: dontWait)
    }

    // MARK: Receiving

    /// Receives one whole multipart message; nil when the receive timeout (or `dontWait`) expires first.
    public func receiveMessage(dontWait: Bool = false) throws(ZMQError) -> [Frame]? {
        var frames: [Frame] = []
        repeat {
            let frame = Frame()
            if zmq_msg_recv(frame.msg, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                let error = ZMQError("receive")
                if frames.isEmpty && (error.isTimeout || error.isInterrupted) { return nil }
                throw error
            }
            frames.append(frame)
        } while zmq_msg_more(frames[frames.count - 1].msg) != 0
        return frames
    }

    // MARK: Options

    public func setInt(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError("setsockopt \(option)")
        }
    }

    public func setInt64(_ option: Int32, _ value: Int64) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError("setsockopt \(option)")
        }
    }

    public func setBytes(_ option: Int32, _ value: [UInt8]) throws(ZMQError) {
        let result = value.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard result == 0 else { throw ZMQError("setsockopt \(option)") }
    }

    /// Milliseconds a blocking receive waits before returning nil; -1 waits forever.
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) { try setInt(ZMQ_RCVTIMEO, milliseconds) }
    public func setSendTimeout(milliseconds: Int32) throws(ZMQError) { try setInt(ZMQ_SNDTIMEO, milliseconds) }
    /// Makes a ROUTER report unroutable peers (EHOSTUNREACH) instead of silently dropping.
    /// Messages queued per peer before sends block (or a ROUTER drops) and reads stop; 0: no limit.
    public func setHighWaterMarks(send: Int32, receive: Int32) throws(ZMQError) {
        try setInt(ZMQ_SNDHWM, send)
        try setInt(ZMQ_RCVHWM, receive)
    }

    public func setRouterMandatory(_ on: Bool) throws(ZMQError) { try setInt(ZMQ_ROUTER_MANDATORY, on ? 1 : 0) }
    /// libzmq disconnects a peer that sends a larger message; protects memory from hostile peers.
    public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) { try setInt64(ZMQ_MAXMSGSIZE, bytes) }
    /// Reconnect quickly after a peer restarts (the default is 100 ms).
    public func setReconnectInterval(milliseconds: Int32, max: Int32 = 0) throws(ZMQError) {
        try setInt(ZMQ_RECONNECT_IVL, milliseconds)
        try setInt(ZMQ_RECONNECT_IVL_MAX, max)
    }
}

extension Socket {
    /// A bound ROUTER for a service endpoint: a peer that sends more than `maxMessageSize` bytes is
    /// disconnected, a reply to a peer that has gone is an error (not silence), and CURVE is on
    /// when `curve` is given.
    public static func serverRouter(
        _ context: ZMQContext, bind endpoint: String, maxMessageSize: Int64? = nil, curve: CurveServerSettings? = nil
    ) throws(ZMQError) -> Socket {
        let socket = try Socket(context, .router)
        if let maxMessageSize { try socket.setMaxMessageSize(maxMessageSize) }
        try socket.setRouterMandatory(true)
        try socket.applyCurve(curve)
        try socket.bind(endpoint)
        return socket
    }
}
