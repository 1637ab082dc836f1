import Caching
import Clients
import Clocks
import HistoryEncoding
import Model
import Ranking
import ReplicaRuntime
import ServiceRuntime
import Wire

/// The scorer's request handler: candidate rows (through the row cache), candidate tokens through
/// the blocks against the shipped history keys/values (or, for a single-slice request, keys and
/// values it encodes itself), top-k of the slice.
public final class ScorerHandler: RequestHandler {
    /// Every version held: a slice is scored by the version its history was encoded with.
    let models: VersionRegistry<SequenceModel>
    let embeddings: EmbeddingClient
    let limits: Limits
    /// Hot candidate rows per model version.
    private let rowCaches: RowCaches
    /// Candidates whose rows are gathered at once; bounds memory for "all items" slices.
    let chunk: Int
    private let workspace = Workspace()
    /// Encodes raw histories (single-slice requests), with the same row cache as the candidates.
    private let encoder: HistoryEncoder
    private let metrics: ReplicaMetrics
    /// Slices abandoned part-way because their deadline passed (work not wasted on them).
    public private(set) var droppedExpired = 0

    public convenience init(model: SequenceModel, embeddings: EmbeddingClient, limits: Limits, cacheRows: Int, chunk: Int = 4_096) {
        self.init(
            models: VersionRegistry(version: model.config.version, value: model), embeddings: embeddings, limits: limits,
            cacheRows: cacheRows, encodings: EncodingCache(capacity: 16), chunk: chunk)
    }

    /// `encodings` is shared by the replica's compute threads, like the history-encoder's cache.
    public init(
        models: VersionRegistry<SequenceModel>, embeddings: EmbeddingClient, limits: Limits, cacheRows: Int,
        encodings: EncodingCache, chunk: Int = 4_096, metrics: ReplicaMetrics = .off(service: "scorer")
    ) {
        self.metrics = metrics
        self.models = models
        self.embeddings = embeddings
        self.limits = limits
        rowCaches = RowCaches(capacity: cacheRows)
        self.chunk = chunk
        encoder = HistoryEncoder(
            models: models, embeddings: embeddings, cache: encodings, rowCaches: rowCaches, workspace: workspace, metrics: metrics)
    }

    public func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        let started = Instant.now
        let request: ScoreRequest
        let sizeLimit = limits.messageBytes * Limits.scoreRequestFactor
        switch RequestPreamble.open(
            payload, as: ScoreRequest.self, limits: limits, sizeLimit: sizeLimit, stage: "the candidates were scored")
        {
        case .failure(let rejection): return failure(rejection.requestID, rejection.error)
        case .success(let decoded): request = decoded
        }
        let id = request.header.requestID
        let history: EncodedHistory
        var (encodeMicros, historyCacheHit): (UInt32, Bool) = (0, false)
        switch request.history {
        case .encoded(let encoded): history = encoded
        case .raw(let raw):
            if let problem = limits.checkHistory(count: raw.items.count) ?? limits.checkUserID(raw.userID) {
                return failure(id, problem)
            }
            switch encoder.encode(raw, deadline: request.header.deadline, now: started) {
            case .failure(let error): return failure(id, error)
            case .success(let encoded): (history, historyCacheHit) = (encoded.history, encoded.cacheHit)
            }
            encodeMicros = started.elapsed.wireMicros
        }
        guard let model = models.entry(history.modelVersion)?.value else {
            return failure(id, .versionUnavailable(history.modelVersion, held: models.versions))
        }
        if let problem = validate(request, history: history, model: model) { return failure(id, problem) }
        let rowCache = rowCaches.cache(version: model.config.version, dim: model.config.dim, held: models.versions)
        let ids: [Int64]
        switch request.candidates {
        case .ids(let list): ids = list
        case .range(let range): ids = Array(range)
        }
        // Prepared once for all of the request's micro-batches (int8 attention tables).
        let prepared = model.prepare(
            HistoryKV(layers: history.layers, length: history.length, dim: history.dim, keys: history.keys, values: history.values),
            workspace: workspace)
        let d = model.config.dim
        var logits = [Float](repeating: 0, count: ids.count)
        var rows = [Float](repeating: 0, count: min(chunk, ids.count) * d)
        var misses = 0
        var start = 0
        while start < ids.count {
            let end = min(start + chunk, ids.count)
            let gathered = rows.withUnsafeMutableBufferPointer {
                rowCache.gather(
                    ids[start..<end], into: $0.baseAddress!, embeddings: embeddings, deadline: request.header.deadline)
            }
            switch gathered {
            case .failure(let error): return failure(id, error)
            case .success(let count): misses += count
            }
            // One micro-batch at a time, so work whose deadline passes is dropped, not finished.
            var done = start
            while done < end {
                if let deadline = request.header.deadline, deadline.hasPassed {
                    droppedExpired += 1
                    return failure(
                        id,
                        .deadlineExceeded(
                            "the scorer dropped this slice after \(done) of \(ids.count) candidates: its deadline passed (\(droppedExpired) slices dropped by this scorer thread)"
                        ))
                }
                let batch = min(model.microBatch, end - done)
                rows.withUnsafeBufferPointer { rows in
                    logits.withUnsafeMutableBufferPointer { out in
                        model.scoreCandidates(
                            prepared: prepared, candidateRows: rows.baseAddress! + (done - start) * d, count: batch,
                            logits: out.baseAddress! + done, workspace: workspace)
                    }
                }
                done += batch
            }
            start = end
        }
        metrics.cache("rows", hits: ids.count - misses, misses: misses)
        metrics.succeeded(version: model.config.version, duration: started.elapsed)
        let top = TopK.select(count: ids.count, k: Int(request.k), id: { ids[$0] }, score: { logits[$0] })
        let slice = ScoredSlice(
            ranked: RankedItems(items: top.map(\.id), scores: top.map(\.score)), modelVersion: model.config.version,
            computeMicros: started.elapsed.wireMicros, rowCacheMisses: UInt32(clamping: misses), encodeMicros: encodeMicros,
            historyCacheHit: historyCacheHit)
        return ScoreReply(requestID: id, result: .success(slice)).encoded()
    }

    /// Everything that makes a request unservable, checked before any work.
    func validate(_ request: ScoreRequest, history: EncodedHistory, model: SequenceModel) -> ServiceError? {
        let config = model.config
        if let problem = limits.checkK(request.k) { return problem }
        guard history.layers == config.layers, history.dim == config.dim, history.length >= 1,
            history.length <= config.maxHistory
        else {
            return .badRequest(
                "encoded history shape \(history.layers)x\(history.length)x\(history.dim) does not fit this model")
        }
        switch request.candidates {
        case .ids(let ids):
            if let problem = limits.checkCandidates(count: ids.count) { return problem }
            let unknown = ids.filter { $0 < 0 || $0 >= Int64(config.itemCount) }
            if !unknown.isEmpty { return .unknownItems(unknown, itemCount: config.itemCount) }
        case .range(let range):
            guard range.lowerBound >= 0, range.upperBound <= Int64(config.itemCount) else {
                return .badRequest("candidate range \(range) is outside 0..<\(config.itemCount)")
            }
        }
        return nil
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        metrics.failed(error.code)
        return ScoreReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
