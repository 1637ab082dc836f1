import Caching
import Clients
import Clocks
import Model
import ReplicaRuntime
import ServiceRuntime
import Wire

/// The history-encoder's request handler: look up the history's rows, run the transformer once,
/// return every layer's keys and values (or a cached encoding of the same history). History rows
/// come through a row cache: a W1 history's lookup round trip cost more than its encoding.
public final class EncoderHandler: RequestHandler {
    /// Every version held; new requests use the active one (see `VersionRegistry`).
    let models: VersionRegistry<SequenceModel>
    let embeddings: EmbeddingClient
    let cache: EncodingCache
    let limits: Limits
    private let rowCaches: RowCaches
    private let workspace = Workspace()
    private let metrics: ReplicaMetrics
    /// Requests dropped unstarted because their deadline had passed.
    public private(set) var droppedExpired = 0

    public convenience init(
        model: SequenceModel, embeddings: EmbeddingClient, cache: EncodingCache, limits: Limits, cacheRows: Int = 0
    ) {
        self.init(
            models: VersionRegistry(version: model.config.version, value: model), embeddings: embeddings, cache: cache, limits: limits,
            cacheRows: cacheRows)
    }

    /// `cacheRows` 0 keeps one row (every lookup goes to the embedding-server).
    public init(
        models: VersionRegistry<SequenceModel>, embeddings: EmbeddingClient, cache: EncodingCache, limits: Limits, cacheRows: Int,
        metrics: ReplicaMetrics = .off(service: "history-encoder")
    ) {
        self.metrics = metrics
        self.models = models
        self.embeddings = embeddings
        self.cache = cache
        self.limits = limits
        rowCaches = RowCaches(capacity: cacheRows)
    }

    public func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        let started = Instant.now
        let request: EncodeRequest
        switch RequestPreamble.open(payload, as: EncodeRequest.self, limits: limits, stage: "the history was encoded") {
        case .failure(let rejection):
            // Work whose deadline passed before it started is dropped here, not encoded.
            if rejection.error.code == .deadlineExceeded { droppedExpired += 1 }
            return failure(rejection.requestID, rejection.error)
        case .success(let decoded): request = decoded
        }
        let id = request.header.requestID
        if let problem = limits.checkHistory(count: request.history.count) ?? limits.checkUserID(request.userID) {
            return failure(id, problem)
        }
        var result: Result<EncodeReply, ServiceError>
        if !request.modelVersion.isEmpty {
            // The gateway's traffic split named the version: that one or none, never another.
            guard let named = models.entry(request.modelVersion) else {
                return failure(id, .versionUnavailable(request.modelVersion, held: models.versions))
            }
            result = encode(request, with: named.value, started: started)
        } else {
            let active = models.active(now: started)
            result = encode(request, with: active.value, started: started)
            // The embedding-server may not have loaded the newest version yet: use the other one held.
            if case .failure(let error) = result, error.code == .modelVersionUnavailable,
                let other = models.versions.last(where: { $0 != active.version }).flatMap(models.entry)
            {
                result = encode(request, with: other.value, started: started)
            }
        }
        switch result {
        case .success(let reply):
            if case .success(let encoded) = reply.result { metrics.succeeded(version: encoded.modelVersion, duration: started.elapsed) }
            return reply.encoded()
        case .failure(let error): return failure(id, error)
        }
    }

    private func encode(_ request: EncodeRequest, with model: SequenceModel, started: Instant) -> Result<EncodeReply, ServiceError> {
        let id = request.header.requestID
        let config = model.config
        // Every id is checked, also those older than the model's window that are then ignored: a
        // request naming an item that does not exist is wrong wherever the id is.
        if let problem = Self.invalidIDs(request.history, itemCount: config.itemCount) { return .failure(problem) }
        let recent = Array(request.history.suffix(config.maxHistory))
        let key = EncodingCache.Key(userID: request.userID, modelVersion: config.version, history: recent)
        let cached = cache.get(key)
        metrics.cache("encodings", hits: cached == nil ? 0 : 1, misses: cached == nil ? 1 : 0)
        if let cached {
            return .success(
                EncodeReply(requestID: id, result: .success(cached), cacheHit: true, computeMicros: started.elapsed.wireMicros))
        }
        let rowCache = rowCaches.cache(version: config.version, dim: config.dim, held: models.versions)
        var rows = [Float](repeating: 0, count: recent.count * config.dim)
        let gathered = rows.withUnsafeMutableBufferPointer {
            rowCache.gather(recent[...], into: $0.baseAddress!, embeddings: embeddings, deadline: request.header.deadline)
        }
        switch gathered {
        case .failure(let error): return .failure(error)
        case .success(let misses): metrics.cache("rows", hits: recent.count - misses, misses: misses)
        }
        let kv = rows.withUnsafeBufferPointer {
            model.encodeHistory(itemRows: $0.baseAddress!, length: recent.count, workspace: workspace)
        }
        let encoded = EncodedHistory(
            modelVersion: config.version, itemCount: config.itemCount, layers: kv.layers, length: kv.length, dim: kv.dim,
            keys: kv.keys, values: kv.values)
        cache.set(key, encoded)
        return .success(EncodeReply(requestID: id, result: .success(encoded), computeMicros: started.elapsed.wireMicros))
    }

    static func invalidIDs(_ history: [Int64], itemCount: Int) -> ServiceError? {
        let negative = Array(Set(history.filter { $0 < 0 })).sorted()
        if !negative.isEmpty { return .negativeItems(negative) }
        let unknown = Array(Set(history.filter { $0 >= Int64(itemCount) })).sorted()
        return unknown.isEmpty ? nil : .unknownItems(unknown, itemCount: itemCount)
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        metrics.failed(error.code)
        return EncodeReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
