import CZmq

/// A failed libzmq call, with the operation that failed and libzmq's own explanation.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    /// The errno libzmq reported (EAGAIN on a receive timeout, ETERM when the context is shutting down).
    public let code: Int32
    public let operation: String

    init(_ operation: String, code: Int32 = zmq_errno()) {
        self.operation = operation
        self.code = code
    }

    public var isTimeout: Bool { code == EAGAIN }
    public var isInterrupted: Bool { code == EINTR }
    public var isTerminated: Bool { code == ETERM }

    public var description: String {
        "\(operation) failed: \(String(cString: zmq_strerror(code))) (errno \(code))"
    }
}
