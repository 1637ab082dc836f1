import Durability
import Model
import ServiceRuntime
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
    private var optimizers: [String: RowWiseAdagrad] = [:]

    /// `restored` is the newest version's optimizer state as recovered from the journal.
    init(
        shards: VersionRegistry<EmbeddingShard>, limits: Limits, learningRate: Float, journal: PushJournal? = nil,
        restored: RowWiseAdagrad? = nil
    ) {
        self.shards = shards
        self.limits = limits
        self.learningRate = learningRate
        self.journal = journal
        if let restored { optimizers[shards.newest.version] = restored }
    }

    func handle(_ bytes: UnsafeRawBufferPointer) -> PushReply {
        guard bytes.count <= limits.messageBytes else {
            return PushReply(
                requestID: 0, result: .failure(.badRequest("push of \(bytes.count) bytes exceeds the \(limits.messageBytes)-byte limit")))
        }
        let request: PushRequest
        do {
            request = try PushRequest(decoding: bytes)
        } catch {
            return PushReply(requestID: 0, result: .failure(error.asServiceError))
        }
        if let deadline = request.header.deadline, deadline.hasPassed {
            return PushReply(
                requestID: request.header.requestID, result: .failure(.deadlineExceeded("push arrived after its deadline; not applied")))
        }
        guard request.ids.count <= limits.maxLookupIDs else {
            return PushReply(
                requestID: request.header.requestID,
                result: .failure(.badRequest("\(request.ids.count) rows exceed the \(limits.maxLookupIDs)-row limit per push")))
        }
        let current = shards.newest
        let optimizer = optimizers[current.version] ?? RowWiseAdagrad(rows: current.value.ownedRows, learningRate: learningRate)
        optimizers = [current.version: optimizer]
        var result = optimizer.apply(request.ids, gradients: request.gradients, to: current.value)
        if case .success = result, let journal {
            do {
                try journal.append(ids: Array(Set(request.ids)), shard: current.value, optimizer: optimizer)
            } catch {
                result = .failure(.unavailable("push applied in memory but not logged, so not durable: \(error)"))
            }
        }
        return PushReply(requestID: request.header.requestID, result: result, modelVersion: current.version)
    }

    /// Snapshots the newest version's rows and optimizer state.
    func snapshot(now: UInt64) throws(DurabilityError) -> UInt64? {
        guard let journal else { return nil }
        let current = shards.newest
        let optimizer = optimizers[current.version] ?? RowWiseAdagrad(rows: current.value.ownedRows, learningRate: learningRate)
        return try journal.snapshot(shard: current.value, optimizer: optimizer, now: now)
    }
}
