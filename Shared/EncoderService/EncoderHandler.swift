import Broker
import EmbeddingService
import Model
import ServiceRuntime
import Wire

/// The history-encoder's request handler: look up the history's rows, run the transformer once,
/// return every layer's keys and values (or a cached encoding of the same history).
public final class EncoderHandler: RequestHandler {
    /// Every version held; new requests use the active one (see `VersionRegistry`).
    let models: VersionRegistry<SequenceModel>
    let embeddings: EmbeddingClient
    let cache: EncodingCache
    let limits: Limits
    private let workspace = Workspace()

    public convenience init(model: SequenceModel, embeddings: EmbeddingClient, cache: EncodingCache, limits: Limits) {
        self.init(
            models: VersionRegistry(version: model.config.version, value: model), embeddings: embeddings, cache: cache, limits: limits)
    }

    public init(models: VersionRegistry<SequenceModel>, embeddings: EmbeddingClient, cache: EncodingCache, limits: Limits) {
        self.models = models
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
        guard request.userID.utf8.count <= limits.maxUserIDBytes else {
            return failure(id, .badRequest("user id of \(request.userID.utf8.count) bytes exceeds the limit of \(limits.maxUserIDBytes)"))
        }
        guard request.history.count <= limits.maxHistory else {
            return failure(id, .badRequest("history of \(request.history.count) items exceeds the limit of \(limits.maxHistory)"))
        }
        let active = models.active(now: Int64(started / 1_000_000))
        var result = encode(request, with: active.value, started: started)
        // The embedding-server may not have loaded the newest version yet: use the other one held.
        if case .failure(let error) = result, error.code == .modelVersionUnavailable,
            let other = models.versions.last(where: { $0 != active.version }).flatMap(models.entry)
        {
            result = encode(request, with: other.value, started: started)
        }
        switch result {
        case .success(let reply): return reply.encoded()
        case .failure(let error): return failure(id, error)
        }
    }

    private func encode(_ request: EncodeRequest, with model: SequenceModel, started: UInt64) -> Result<EncodeReply, ServiceError> {
        let id = request.header.requestID
        let config = model.config
        let recent = Array(request.history.suffix(config.maxHistory))
        let key = EncodingCache.Key(userID: request.userID, modelVersion: config.version, history: recent)
        if let cached = cache.get(key) {
            return .success(
                EncodeReply(requestID: id, result: .success(cached), cacheHit: true, computeMicros: MonotonicClock.microsSince(started)))
        }
        let rows: [Float]
        switch embeddings.lookup(recent, version: config.version, deadline: request.header.deadline) {
        case .failure(let error): return .failure(error)
        case .success(let found): rows = found
        }
        let kv = rows.withUnsafeBufferPointer {
            model.encodeHistory(itemRows: $0.baseAddress!, length: recent.count, workspace: workspace)
        }
        let encoded = EncodedHistory(
            modelVersion: config.version, itemCount: config.itemCount, layers: kv.layers, length: kv.length, dim: kv.dim,
            keys: kv.keys, values: kv.values)
        cache.set(key, encoded)
        return .success(EncodeReply(requestID: id, result: .success(encoded), computeMicros: MonotonicClock.microsSince(started)))
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        EncodeReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
