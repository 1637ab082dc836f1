import CZmq

/// One received (or to-be-sent) ZeroMQ message part.
///
/// `zmq_msg_t` must never be copied by value (small messages store their bytes inline), so it lives
/// on the heap behind this class and is closed exactly once, in `deinit`.
public final class Frame {
    let msg: UnsafeMutablePointer<zmq_msg_t>

    /// An empty frame, ready to receive into.
    public init() {
        msg = .allocate(capacity: 1)
        zmq_msg_init(msg)
    }

    /// A frame holding a copy of `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) {
        msg = .allocate(capacity: 1)
        zmq_msg_init_size(msg, bytes.count)
        if bytes.count > 0 {
            zmq_msg_data(msg).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
    }

    public init(_ bytes: [UInt8]) {
        msg = .allocate(capacity: 1)
        zmq_msg_init_size(msg, bytes.count)
        bytes.withUnsafeBytes { source in
            if source.count > 0 { zmq_msg_data(msg).copyMemory(from: source.baseAddress!, byteCount: source.count) }
        }
    }

    public convenience init(_ string: String) {
        self.init(Array(string.utf8))
    }

    deinit {
        zmq_msg_close(msg)
        msg.deallocate()
    }

    public var count: Int { zmq_msg_size(msg) }

    /// The frame's bytes, valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(msg), count: count))
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}
