import Broker
import EmbeddingService
import Model
import ServiceRuntime
import Wire

/// The history-encoder's request handler: look up the history's rows, run the transformer once,
/// return every layer's keys and values (or a cached encoding of the same history).
public final class EncoderHandler: RequestHandler {
    let model: SequenceModel
    let embeddings: EmbeddingClient
    let cache: EncodingCache
    let limits: Limits
    private let workspace = Workspace()

    public init(model: SequenceModel, embeddings: EmbeddingClient, cache: EncodingCache, limits: Limits) {
        self.model = model
        self.embeddings = embeddings
        self.cache = cache
        self.limits = limits
    }

    public func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        let started = MonotonicClock.nanoseconds()
        guard payload.count <= limits.messageBytes else {
            return failure(0, .badRequest("request of \(payload.count) bytes exceeds the \(limits.messageBytes)-byte limit"))
        }
        let request: EncodeRequest
        do {
            request = try EncodeRequest(decoding: payload)
        } catch {
            return failure(0, error.asServiceError)
        }
        let id = request.header.requestID
        if let deadline = request.header.deadline, deadline.hasPassed {
            return failure(id, .deadlineExceeded("deadline passed before the history was encoded"))
        }
        guard !request.history.isEmpty else {
            return failure(id, .badRequest("history is empty: give at least one item id"))
        }
        guard request.history.count <= limits.maxHistory else {
            return failure(id, .badRequest("history of \(request.history.count) items exceeds the limit of \(limits.maxHistory)"))
        }
        let config = model.config
        let recent = Array(request.history.suffix(config.maxHistory))
        let key = EncodingCache.Key(userID: request.userID, modelVersion: config.version, history: recent)
        if let cached = cache.get(key) {
            return EncodeReply(requestID: id, result: .success(cached), cacheHit: true, computeMicros: MonotonicClock.microsSince(started))
                .encoded()
        }
        let rows: [Float]
        switch embeddings.lookup(recent, deadline: request.header.deadline) {
        case .failure(let error): return failure(id, error)
        case .success(let found): rows = found
        }
        let kv = rows.withUnsafeBufferPointer {
            model.encodeHistory(itemRows: $0.baseAddress!, length: recent.count, workspace: workspace)
        }
        let encoded = EncodedHistory(
            modelVersion: config.version, itemCount: config.itemCount, layers: kv.layers, length: kv.length, dim: kv.dim,
            keys: kv.keys, values: kv.values)
        cache.set(key, encoded)
        return EncodeReply(requestID: id, result: .success(encoded), computeMicros: MonotonicClock.microsSince(started))
            .encoded()
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        EncodeReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
