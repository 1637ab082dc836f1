import Logging
import Model
import ServiceRuntime
import Wire

/// Turns one request's bytes into reply bytes: decode, check limits and deadline, look up.
///
/// Kept free of sockets so every failure path is testable directly; it never throws and never
/// answers with silence.
public struct EmbeddingRequestHandler: Sendable {
    /// The shard's rows for each model version held (current and previous, during a swap).
    public let shards: VersionRegistry<EmbeddingShard>
    public let limits: Limits

    public init(shards: VersionRegistry<EmbeddingShard>, limits: Limits) {
        self.shards = shards
        self.limits = limits
    }

    public init(shard: EmbeddingShard, limits: Limits) {
        self.init(shards: VersionRegistry(version: shard.modelVersion, value: shard), limits: limits)
    }

    public func handle(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard bytes.count <= limits.messageBytes else {
            return failure(0, .badRequest("request of \(bytes.count) bytes exceeds the \(limits.messageBytes)-byte limit"))
        }
        let request: LookupRequest
        do {
            request = try LookupRequest(decoding: bytes)
        } catch {
            return failure(0, error.asServiceError)
        }
        if let deadline = request.header.deadline, deadline.hasPassed {
            return failure(request.header.requestID, .deadlineExceeded("lookup deadline passed before it was served"))
        }
        guard request.ids.count <= limits.maxLookupIDs else {
            return failure(
                request.header.requestID,
                .badRequest("\(request.ids.count) ids exceed the \(limits.maxLookupIDs)-id limit per lookup"))
        }
        guard request.modelVersion.utf8.count <= limits.maxVersionBytes else {
            return failure(
                request.header.requestID,
                .badRequest("model version of \(request.modelVersion.utf8.count) bytes exceeds the limit of \(limits.maxVersionBytes)"))
        }
        let version = request.modelVersion.isEmpty ? shards.newest.version : request.modelVersion
        guard let shard = shards.entry(version)?.value else {
            return failure(request.header.requestID, .versionUnavailable(version, held: shards.versions))
        }
        let result = shard.lookup(request.ids).map {
            EmbeddingRows(modelVersion: shard.modelVersion, dim: shard.dim, rows: $0)
        }
        return LookupReply(requestID: request.header.requestID, result: result).encoded()
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        LookupReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
