import Clocks
import Durability
import EmbeddingServing
import Model
import ServiceRuntime
import Telemetry
import Wire

/// Applies trainers' pushes to the current model version's rows, and journals them when durable.
///
/// Owned by the embedding-server's loop thread (the same thread that answers lookups), so rows are
/// never read and written at once and the optimizer state needs no lock.
final class PushHandler {
    let shards: VersionRegistry<EmbeddingShard>
    let limits: Limits
    let learningRate: Float
    let journal: PushJournal?
    /// Shard 0 only: the dense weights trainers share.
    let dense: SharedDenseWeights?
    let metrics: PushMetrics
    private var optimizers: [String: RowWiseAdagrad] = [:]
    private var slipstream: (version: String, tracker: SlipstreamTracker)?

    /// `restored` is the newest version's optimizer state as recovered from the journal.
    init(
        shards: VersionRegistry<EmbeddingShard>, limits: Limits, learningRate: Float, journal: PushJournal? = nil,
        restored: RowWiseAdagrad? = nil, dense: SharedDenseWeights? = nil, metrics: PushMetrics = PushMetrics(telemetry: .off)
    ) {
        self.metrics = metrics
        self.shards = shards
        self.limits = limits
        self.learningRate = learningRate
        self.journal = journal
        self.dense = dense
        if let restored { optimizers[shards.newest.version] = restored }
    }

    func handle(_ bytes: UnsafeRawBufferPointer) -> PushReply {
        let (reply, rows) = apply(bytes)
        metrics.push(reply, rows: rows)
        if !reply.staleIDs.isEmpty || reply.hotRows > 0 { metrics.staleRows.set(reply.staleIDs.count) }
        return reply
    }

    /// The reply, and how many rows the push named.
    private func apply(_ bytes: UnsafeRawBufferPointer) -> (PushReply, rows: Int) {
        let request: PushRequest
        switch RequestPreamble.open(bytes, as: PushRequest.self, limits: limits, stage: "the push could be applied; nothing was applied") {
        case .failure(let rejection): return (PushReply(requestID: rejection.requestID, result: .failure(rejection.error)), 0)
        case .success(let decoded): request = decoded
        }
        let current = shards.newest
        if let problem = problem(with: request, current: current) {
            return (PushReply(requestID: request.header.requestID, result: .failure(problem), modelVersion: current.version), 0)
        }
        let optimizer = optimizers[current.version] ?? RowWiseAdagrad(rows: current.value.trainableRows, learningRate: learningRate)
        optimizers = [current.version: optimizer]
        var result = optimizer.apply(request.ids, gradients: request.gradients, to: current.value)
        if case .success = result, let journal, !request.ids.isEmpty {
            do {
                try journal.append(ids: Array(Set(request.ids)), shard: current.value, optimizer: optimizer)
            } catch {
                result = .failure(.unavailable("push applied in memory but not logged, so not durable: \(error)"))
            }
        }
        var reply = PushReply(requestID: request.header.requestID, result: result, modelVersion: current.version)
        guard case .success = result else { return (reply, 0) }
        let tracker = tracker(for: current)
        tracker.recordPush(request.ids, shard: current.value)
        if let dense, dense.version == current.version {
            if !request.denseGradients.isEmpty { dense.apply(request.denseGradients, learningRate: request.denseLearningRate) }
            if request.wantDense { reply.dense = dense.weights }
            reply.denseStep = dense.steps
        }
        if request.staleThreshold > 0 {
            (reply.staleIDs, reply.hotRows) = tracker.query(
                threshold: request.staleThreshold, hotFraction: request.hotFraction, shard: current.value)
        }
        return (reply, request.ids.count)
    }

    /// Why nothing of `request` may be applied, if so: every part is checked before any is applied.
    private func problem(with request: PushRequest, current: VersionRegistry<EmbeddingShard>.Entry) -> ServiceError? {
        if let problem = limits.checkRows(count: request.ids.count, what: "rows") { return problem }
        let shard = current.value
        guard shard.isTrainable else {
            return .badRequest(
                shard.format == .qr
                    ? "\(current.version) is a QR table split over \(shard.shards) shards, whose copies of the components would drift apart: train QR on one shard"
                    : "\(current.version) is served from a \(shard.format.rawValue) table, which is read-only: train on an f32 table and compress it afterwards (`recctl compress`)"
            )
        }
        if shard.compressed != nil, journal != nil {
            return .badRequest(
                "\(current.version) is a \(shard.format.rawValue) table; durable pushes (--state-dir) journal f32 rows only: train it without --state-dir"
            )
        }
        guard request.gradients.allSatisfy(\.isFinite) else { return .badRequest("row gradients have NaN or infinite values; not applied") }
        guard !request.denseGradients.isEmpty || request.wantDense else { return nil }
        guard let dense, dense.version == current.version else {
            return .unavailable(
                "this shard holds no dense weights for \(current.version): dense pushes go to shard 0, started with --push-bind")
        }
        return request.denseGradients.isEmpty ? nil : dense.problem(with: request.denseGradients, learningRate: request.denseLearningRate)
    }

    private func tracker(for current: VersionRegistry<EmbeddingShard>.Entry) -> SlipstreamTracker {
        if let slipstream, slipstream.version == current.version { return slipstream.tracker }
        let tracker = SlipstreamTracker(rows: current.value.ownedRows)
        slipstream = (current.version, tracker)
        return tracker
    }

    /// Snapshots the newest version's rows and optimizer state.
    func snapshot(now: Instant) throws(DurabilityError) -> UInt64? {
        guard let journal else { return nil }
        let current = shards.newest
        // Only f32 rows are journaled (pushes to other formats are refused when durable).
        guard current.value.compressed == nil else { return nil }
        let optimizer = optimizers[current.version] ?? RowWiseAdagrad(rows: current.value.trainableRows, learningRate: learningRate)
        return try journal.snapshot(shard: current.value, optimizer: optimizer, now: now)
    }
}
