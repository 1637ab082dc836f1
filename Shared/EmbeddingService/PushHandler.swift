import Model
import ServiceRuntime
import Wire

/// Applies trainers' pushes to the current model version's rows.
///
/// Owned by the embedding-server's loop thread (the same thread that answers lookups), so rows are
/// never read and written at once and the optimizer state needs no lock.
final class PushHandler {
    let shards: VersionRegistry<EmbeddingShard>
    let limits: Limits
    let learningRate: Float
    private var optimizers: [String: RowWiseAdagrad] = [:]

    init(shards: VersionRegistry<EmbeddingShard>, limits: Limits, learningRate: Float) {
        self.shards = shards
        self.limits = limits
        self.learningRate = learningRate
    }

    func handle(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard bytes.count <= limits.messageBytes else {
            return PushReply(
                requestID: 0, result: .failure(.badRequest("push of \(bytes.count) bytes exceeds the \(limits.messageBytes)-byte limit"))
            ).encoded()
        }
        let request: PushRequest
        do {
            request = try PushRequest(decoding: bytes)
        } catch {
            return PushReply(requestID: 0, result: .failure(error.asServiceError)).encoded()
        }
        if let deadline = request.header.deadline, deadline.hasPassed {
            return PushReply(
                requestID: request.header.requestID, result: .failure(.deadlineExceeded("push arrived after its deadline; not applied"))
            ).encoded()
        }
        let current = shards.newest
        let optimizer = optimizers[current.version] ?? RowWiseAdagrad(rows: current.value.ownedRows, learningRate: learningRate)
        optimizers = [current.version: optimizer]
        let result = optimizer.apply(request.ids, gradients: request.gradients, to: current.value)
        return PushReply(requestID: request.header.requestID, result: result, modelVersion: current.version).encoded()
    }
}
