import CZmq

/// A libzmq context. It is thread-safe (libzmq's contract), so it may be shared across threads,
/// unlike the sockets made from it.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init(ioThreads: Int32 = 1) {
        guard let handle = zmq_ctx_new() else { preconditionFailure("zmq_ctx_new returned NULL") }
        zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
        self.handle = handle
    }

    /// Makes blocking calls on every socket of this context return ETERM, so threads can exit.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    deinit {
        zmq_ctx_term(handle)
    }
}
