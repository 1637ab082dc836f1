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

    public func handle(_ bytes: UnsafeRawBufferPointer) -> [UInt8] { answer(bytes).reply }

    /// The reply, and what the metrics record of it: the outcome code and the rows returned.
    public func answer(_ bytes: UnsafeRawBufferPointer) -> (reply: [UInt8], code: String, rows: Int) {
        let request: LookupRequest
        switch RequestPreamble.open(bytes, as: LookupRequest.self, limits: limits, stage: "the lookup was served") {
        case .failure(let rejection): return failure(rejection.requestID, rejection.error)
        case .success(let decoded): request = decoded
        }
        if let problem = limits.checkRows(count: request.ids.count, what: "ids") ?? limits.checkVersion(request.modelVersion) {
            return failure(request.header.requestID, problem)
        }
        let version = request.modelVersion.isEmpty ? shards.newest.version : request.modelVersion
        guard let shard = shards.entry(version)?.value else {
            return failure(request.header.requestID, .versionUnavailable(version, held: shards.versions))
        }
        switch shard.lookup(request.ids, compact: request.compact) {
        case .failure(let error): return failure(request.header.requestID, error)
        case .success(let found):
            return (LookupReply(requestID: request.header.requestID, result: .success(found)).encoded(), "OK", request.ids.count)
        }
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> (reply: [UInt8], code: String, rows: Int) {
        (LookupReply(requestID: requestID, result: .failure(error)).encoded(), error.code.name, 0)
    }
}
