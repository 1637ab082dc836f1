import Wire
import ZeroMQ

/// Sends row gradients to the embedding-server shards' push endpoints and waits for every
/// acknowledgement (an acknowledged push has been applied). Not Sendable: one per thread.
public final class PushClient {
    private let sockets: [Socket]
    private var nextRequestID: UInt64 = 1

    public init(context: ZMQContext, endpoints: [String], curve: CurveClientSettings? = nil) throws(ZMQError) {
        precondition(!endpoints.isEmpty, "at least one push endpoint")
        var sockets: [Socket] = []
        for endpoint in endpoints {
            let socket = try Socket(context, .dealer)
            try socket.applyCurve(curve)
            try socket.connect(endpoint)
            sockets.append(socket)
        }
        self.sockets = sockets
    }

    /// Pushes `rows` (id -> gradient); returns rows applied, or the first error.
    public func push(_ rows: [Int64: [Float]], timeoutMilliseconds: Int = 10_000) -> Result<Int, ServiceError> {
        var perShard = [[(Int64, [Float])]](repeating: [], count: sockets.count)
        for (id, gradient) in rows { perShard[Int(id % Int64(sockets.count))].append((id, gradient)) }
        var pending: [Int: UInt64] = [:]
        for (shard, entries) in perShard.enumerated() where !entries.isEmpty {
            let request = PushRequest(
                header: RequestHeader(requestID: nextRequestID, deadline: .after(milliseconds: timeoutMilliseconds)),
                ids: entries.map(\.0), gradients: entries.flatMap(\.1))
            pending[shard] = nextRequestID
            nextRequestID += 1
            do { try sockets[shard].send(parts: [request.encoded()]) } catch {
                return .failure(.unavailable("push to shard \(shard) failed: \(error)"))
            }
        }
        var applied = 0
        var poller = Poller(sockets)
        let deadline = Deadline.after(milliseconds: timeoutMilliseconds)
        while !pending.isEmpty {
            let remaining = Int(deadline.remainingMicros / 1000)
            guard remaining > 0, let ready = try? poller.poll(timeoutMilliseconds: remaining) else {
                return .failure(.deadlineExceeded("no push acknowledgement from shards \(pending.keys.sorted())"))
            }
            for (shard, isReady) in ready.enumerated() where isReady {
                guard let frames = try? sockets[shard].receiveMessage(dontWait: true),
                    let reply = try? frames.last?.withUnsafeBytes({ try PushReply(decoding: $0) }), reply.requestID == pending[shard]
                else { continue }
                pending[shard] = nil
                switch reply.result {
                case .failure(let error): return .failure(error)
                case .success(let count): applied += count
                }
            }
        }
        return .success(applied)
    }
}
