import CZmq

/// Waits for input on several sockets at once (`zmq_poll`; the DRAFT poller API is not compiled in).
public struct Poller {
    private let sockets: [Socket]
    private var items: [zmq_pollitem_t]

    public init(_ sockets: [Socket]) {
        self.sockets = sockets
        items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and returns which sockets are readable.
    /// A signal interrupting the wait reads as "nothing ready" so callers can check their stop flag.
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> [Bool] {
        let result = items.withUnsafeMutableBufferPointer {
            zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        if result < 0 {
            let error = ZMQError("zmq_poll")
            if error.isInterrupted { return Array(repeating: false, count: items.count) }
            throw error
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
