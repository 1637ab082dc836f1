import Caching
import Clients
import Clocks
import HistoryEncoding
import Model
import ReplicaRuntime
import ServiceRuntime
import Wire

/// The history-encoder's request handler: checks the request and answers with its
/// `HistoryEncoder`'s keys and values (or a cached encoding of the same history).
public final class EncoderHandler: RequestHandler {
    let encoder: HistoryEncoder
    let limits: Limits
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
        self.limits = limits
        encoder = HistoryEncoder(
            models: models, embeddings: embeddings, cache: cache, rowCaches: RowCaches(capacity: cacheRows), workspace: Workspace(),
            metrics: metrics)
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
        let raw = RawHistory(userID: request.userID, items: request.history, modelVersion: request.modelVersion)
        switch encoder.encode(raw, deadline: request.header.deadline, now: started) {
        case .success(let encoded):
            metrics.succeeded(version: encoded.history.modelVersion, duration: started.elapsed)
            return EncodeReply(
                requestID: id, result: .success(encoded.history), cacheHit: encoded.cacheHit, computeMicros: started.elapsed.wireMicros
            ).encoded()
        case .failure(let error): return failure(id, error)
        }
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        metrics.failed(error.code)
        return EncodeReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
