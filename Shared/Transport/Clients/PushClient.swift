import Wire
import ZeroMQ

/// One training step's exchange with the parameter server: row gradients to every shard, the
/// dense gradient to shard 0, and an optional Slipstream query to every shard. Waits for every
/// acknowledgement (an acknowledged push has been applied). Not Sendable: one per thread.
public final class PushClient {
    /// The dense part of a step, for shard 0.
    public struct DensePush: Sendable {
        public var gradients: [Float]
        public var learningRate: Float
        public var wantWeights: Bool

        public init(gradients: [Float], learningRate: Float, wantWeights: Bool) {
            self.gradients = gradients
            self.learningRate = learningRate
            self.wantWeights = wantWeights
        }
    }

    /// A Slipstream query: hot rows that changed less than `threshold` (relative) since the last one.
    public struct StaleQuery: Sendable {
        public var threshold: Float
        public var hotFraction: Float

        public init(threshold: Float, hotFraction: Float) {
            self.threshold = threshold
            self.hotFraction = hotFraction
        }
    }

    /// What the shards answered.
    public struct Outcome: Sendable {
        public var applied = 0
        public var dense: [Float] = []
        public var denseStep: UInt64 = 0
        public var staleIDs: [Int64] = []
        public var hotRows = 0
    }

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
        exchange(rows, timeoutMilliseconds: timeoutMilliseconds).map(\.applied)
    }

    /// One step's exchange; shards with nothing to do are not asked.
    public func exchange(
        _ rows: [Int64: [Float]], dense: DensePush? = nil, stale: StaleQuery? = nil, timeoutMilliseconds: Int = 10_000
    ) -> Result<Outcome, ServiceError> {
        var perShard = [[(Int64, [Float])]](repeating: [], count: sockets.count)
        for (id, gradient) in rows { perShard[Int(id % Int64(sockets.count))].append((id, gradient)) }
        var pending: [Int: UInt64] = [:]
        for (shard, entries) in perShard.enumerated() where !entries.isEmpty || stale != nil || (shard == 0 && dense != nil) {
            var request = PushRequest(
                header: RequestHeader(requestID: nextRequestID, deadline: .after(milliseconds: timeoutMilliseconds)),
                ids: entries.map(\.0), gradients: entries.flatMap(\.1))
            if shard == 0, let dense {
                request.denseGradients = dense.gradients
                request.denseLearningRate = dense.learningRate
                request.wantDense = dense.wantWeights
            }
            if let stale { (request.staleThreshold, request.hotFraction) = (stale.threshold, stale.hotFraction) }
            pending[shard] = nextRequestID
            nextRequestID += 1
            do { try sockets[shard].send(parts: [request.encoded()]) } catch {
                return .failure(.unavailable("push to shard \(shard) failed: \(error)"))
            }
        }
        var outcome = Outcome()
        var poller = Poller(sockets)
        let deadline = Deadline.after(milliseconds: timeoutMilliseconds)
        while !pending.isEmpty {
            let remaining = Int(deadline.remaining().milliseconds)
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
                case .success(let count): outcome.applied += count
                }
                if shard == 0 { (outcome.dense, outcome.denseStep) = (reply.dense, reply.denseStep) }
                outcome.staleIDs += reply.staleIDs
                outcome.hotRows += reply.hotRows
            }
        }
        return .success(outcome)
    }
}
