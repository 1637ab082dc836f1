import Wire
import ZeroMQ

/// Batched, sharded lookups from the encoder and scorer to the embedding-server.
///
/// Deduplicates ids, sends each shard its part at once, then waits for all parts, so a lookup costs
/// one round trip whatever the shard count. Not Sendable: one per compute thread, like its sockets.
public final class EmbeddingClient {
    private let sockets: [Socket]
    private var nextRequestID: UInt64 = 1
    /// Used when a request arrives without a deadline.
    private let defaultTimeoutMilliseconds: Int

    public init(
        context: ZMQContext, endpoints: [String], defaultTimeoutMilliseconds: Int = 2_000, curve: CurveClientSettings? = nil
    ) throws(ZMQError) {
        precondition(!endpoints.isEmpty, "at least one embedding-server endpoint")
        var sockets: [Socket] = []
        for endpoint in endpoints {
            let socket = try Socket(context, .dealer)
            try socket.setReconnectInterval(milliseconds: 50, max: 1_000)
            try socket.applyCurve(curve)
            try socket.connect(endpoint)
            sockets.append(socket)
        }
        self.sockets = sockets
        self.defaultTimeoutMilliseconds = defaultTimeoutMilliseconds
    }

    public var shardCount: Int { sockets.count }

    /// Rows for `ids` (`ids.count x dim`, in order), or the error that stopped the lookup.
    public func lookup(_ ids: [Int64], version: String = "", deadline: Deadline?) -> Result<[Float], ServiceError> {
        rows(ids, version: version, deadline: deadline, compact: false).map(\.rows)
    }

    /// Rows for `ids` in order, packed: with `compact`, in the table's compact row encoding when
    /// it has one (the caller widens them as it uses them), else f32.
    public func rows(_ ids: [Int64], version: String = "", deadline: Deadline?, compact: Bool) -> Result<EmbeddingRows, ServiceError> {
        if ids.isEmpty { return .success(EmbeddingRows(modelVersion: version, dim: 0, rows: [])) }
        let unique = Array(Set(ids))
        var perShard = [[Int64]](repeating: [], count: sockets.count)
        for id in unique {
            // Negative ids go to shard 0, which reports them as unknown.
            perShard[id >= 0 ? Int(id % Int64(sockets.count)) : 0].append(id)
        }
        let deadline = deadline ?? .after(milliseconds: defaultTimeoutMilliseconds)
        var pending: [Int: UInt64] = [:]  // shard -> request id
        for (shard, shardIDs) in perShard.enumerated() where !shardIDs.isEmpty {
            let requestID = nextRequestID
            nextRequestID += 1
            let request = LookupRequest(
                header: RequestHeader(requestID: requestID, deadline: deadline), ids: shardIDs, modelVersion: version, compact: compact)
            do {
                try sockets[shard].send(parts: [request.encoded()], dontWait: true)
            } catch {
                return .failure(.unavailable("embedding shard \(shard) is not accepting lookups: \(error)"))
            }
            pending[shard] = requestID
        }
        var replies: [Int: EmbeddingRows] = [:]
        var poller = Poller(sockets)
        while !pending.isEmpty {
            let remaining = Int(deadline.remaining().milliseconds)
            guard remaining > 0 else {
                return .failure(.deadlineExceeded("embedding lookup timed out waiting for shards \(pending.keys.sorted())"))
            }
            let ready: [Bool]
            do {
                ready = try poller.poll(timeoutMilliseconds: remaining)
            } catch {
                return .failure(.internal("polling embedding shards failed: \(error)"))
            }
            for (shard, isReady) in ready.enumerated() where isReady {
                guard let frames = try? sockets[shard].receiveMessage(dontWait: true), frames.count == 1 else { continue }
                guard let reply = try? frames[0].withUnsafeBytes({ try LookupReply(decoding: $0) }),
                    reply.requestID == pending[shard]
                else { continue }  // a late answer to an earlier, abandoned lookup
                pending[shard] = nil
                switch reply.result {
                case .failure(let error): return .failure(error)
                case .success(let rows):
                    guard rows.count == perShard[shard].count, rows.packed.count == rows.count * rows.bytesPerRow else {
                        return .failure(.internal("embedding shard \(shard) returned \(rows.count) rows for \(perShard[shard].count) ids"))
                    }
                    replies[shard] = rows
                }
            }
        }
        return .success(Self.assemble(ids, perShard: perShard, replies: replies))
    }

    /// The shards' rows in the order of `ids` (repeats included); shards that answered in
    /// different encodings (one mid-swap to another format) are widened to f32 alike.
    static func assemble(_ ids: [Int64], perShard: [[Int64]], replies: [Int: EmbeddingRows]) -> EmbeddingRows {
        var parts = replies
        let first = parts.values.first!
        if parts.values.contains(where: { $0.encoding != first.encoding || $0.dim != first.dim }) {
            parts = parts.mapValues { EmbeddingRows(modelVersion: $0.modelVersion, dim: $0.dim, rows: $0.rows) }
        }
        let (dim, encoding) = (first.dim, parts.values.first!.encoding)
        let size = encoding.bytesPerRow(dim: dim)
        var location: [Int64: (shard: Int, row: Int)] = [:]
        for (shard, shardIDs) in perShard.enumerated() {
            for (row, id) in shardIDs.enumerated() { location[id] = (shard, row) }
        }
        var packed = [UInt8](repeating: 0, count: ids.count * size)
        packed.withUnsafeMutableBytes { out in
            for (i, id) in ids.enumerated() {
                let (shard, row) = location[id]!
                parts[shard]!.packed.withUnsafeBytes {
                    (out.baseAddress! + i * size).copyMemory(from: $0.baseAddress! + row * size, byteCount: size)
                }
            }
        }
        return EmbeddingRows(modelVersion: first.modelVersion, dim: dim, encoding: encoding, packed: packed)
    }
}
