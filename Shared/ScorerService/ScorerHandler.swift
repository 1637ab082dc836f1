import Broker
import EmbeddingService
import Model
import ServiceRuntime
import Wire

/// The scorer's request handler: candidate rows (through the row cache), candidate tokens through
/// the blocks against the shipped history keys/values, top-k of the slice.
public final class ScorerHandler: RequestHandler {
    let model: SequenceModel
    let embeddings: EmbeddingClient
    let limits: Limits
    let rowCache: RowCache
    /// Candidates whose rows are gathered at once; bounds memory for "all items" slices.
    let chunk: Int
    private let workspace = Workspace()

    public init(model: SequenceModel, embeddings: EmbeddingClient, limits: Limits, cacheRows: Int, chunk: Int = 4_096) {
        self.model = model
        self.embeddings = embeddings
        self.limits = limits
        rowCache = RowCache(capacity: cacheRows, dim: model.config.dim)
        self.chunk = chunk
    }

    public func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        let started = MonotonicClock.nanoseconds()
        guard payload.count <= limits.messageBytes * 4 else {
            return failure(0, .badRequest("request of \(payload.count) bytes exceeds the scorer's size limit"))
        }
        let request: ScoreRequest
        do {
            request = try ScoreRequest(decoding: payload)
        } catch {
            return failure(0, error.asServiceError)
        }
        let id = request.header.requestID
        if let problem = validate(request) { return failure(id, problem) }
        let ids: [Int64]
        switch request.candidates {
        case .ids(let list): ids = list
        case .range(let range): ids = Array(range)
        }
        let kv = HistoryKV(
            layers: request.history.layers, length: request.history.length, dim: request.history.dim,
            keys: request.history.keys, values: request.history.values)
        let d = model.config.dim
        var logits = [Float](repeating: 0, count: ids.count)
        var rows = [Float](repeating: 0, count: min(chunk, ids.count) * d)
        var misses = 0
        var start = 0
        while start < ids.count {
            let end = min(start + chunk, ids.count)
            let gathered = rows.withUnsafeMutableBufferPointer {
                rowCache.gather(ids[start..<end], into: $0.baseAddress!, embeddings: embeddings, deadline: request.header.deadline)
            }
            switch gathered {
            case .failure(let error): return failure(id, error)
            case .success(let count): misses += count
            }
            rows.withUnsafeBufferPointer { rows in
                logits.withUnsafeMutableBufferPointer { out in
                    model.scoreCandidates(
                        history: kv, candidateRows: rows.baseAddress!, count: end - start, logits: out.baseAddress! + start,
                        workspace: workspace)
                }
            }
            start = end
        }
        let top = TopK.select(count: ids.count, k: Int(request.k), id: { ids[$0] }, score: { logits[$0] })
        let slice = ScoredSlice(
            ranked: RankedItems(items: top.map(\.id), scores: top.map(\.score)), modelVersion: model.config.version,
            computeMicros: MonotonicClock.microsSince(started), rowCacheMisses: UInt32(clamping: misses))
        return ScoreReply(requestID: id, result: .success(slice)).encoded()
    }

    /// Everything that makes a request unservable, checked before any work.
    func validate(_ request: ScoreRequest) -> ServiceError? {
        let config = model.config
        if let deadline = request.header.deadline, deadline.hasPassed {
            return .deadlineExceeded("deadline passed before the candidates were scored")
        }
        guard request.k >= 1 && Int(request.k) <= limits.maxK else {
            return .badRequest("k must be in 1...\(limits.maxK), got \(request.k)")
        }
        let history = request.history
        guard history.modelVersion == config.version else {
            return .unavailable(
                "history was encoded by model \(history.modelVersion) but this scorer serves \(config.version)")
        }
        guard history.layers == config.layers, history.dim == config.dim, history.length >= 1,
            history.length <= config.maxHistory
        else {
            return .badRequest(
                "encoded history shape \(history.layers)x\(history.length)x\(history.dim) does not fit this model")
        }
        switch request.candidates {
        case .ids(let ids):
            guard ids.count <= limits.maxCandidates else {
                return .badRequest("\(ids.count) candidates exceed the limit of \(limits.maxCandidates)")
            }
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
        ScoreReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
