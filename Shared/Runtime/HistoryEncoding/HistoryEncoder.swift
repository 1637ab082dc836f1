import Caching
import Clients
import Clocks
import Model
import ReplicaRuntime
import ServiceRuntime
import Wire

/// Turns a raw history into every layer's keys and values, for one compute thread: picks the model
/// version, checks every id, answers from the encoding cache or gathers the rows (through the row
/// cache: a W1 history's lookup round trip costs more than its encoding) and runs the transformer.
///
/// The history-encoder serves it over the network; a scorer uses it directly for requests the
/// gateway sends as one slice, where the encoder's round trip would cost more than it shares.
public final class HistoryEncoder {
    /// A history's encoding and whether the cache had it.
    public struct Encoded {
        public let history: EncodedHistory
        public let cacheHit: Bool
    }

    let models: VersionRegistry<SequenceModel>
    let embeddings: EmbeddingClient
    let cache: EncodingCache
    let rowCaches: RowCaches
    let workspace: Workspace
    let metrics: ReplicaMetrics

    /// `rowCaches` and `workspace` belong to the calling thread (a scorer passes the ones it gathers
    /// candidates with, so history and candidate rows share one cache).
    public init(
        models: VersionRegistry<SequenceModel>, embeddings: EmbeddingClient, cache: EncodingCache, rowCaches: RowCaches,
        workspace: Workspace, metrics: ReplicaMetrics
    ) {
        self.models = models
        self.embeddings = embeddings
        self.cache = cache
        self.rowCaches = rowCaches
        self.workspace = workspace
        self.metrics = metrics
    }

    /// Encodes with the version the history names (that one or none, never another), else with
    /// the active version, falling back to the other version held when the embedding-server has
    /// not loaded the newest yet.
    public func encode(_ raw: RawHistory, deadline: Deadline?, now: Instant) -> Result<Encoded, ServiceError> {
        if !raw.modelVersion.isEmpty {
            guard let named = models.entry(raw.modelVersion) else {
                return .failure(.versionUnavailable(raw.modelVersion, held: models.versions))
            }
            return encode(raw, with: named.value, deadline: deadline)
        }
        let active = models.active(now: now)
        let result = encode(raw, with: active.value, deadline: deadline)
        if case .failure(let error) = result, error.code == .modelVersionUnavailable,
            let other = models.versions.last(where: { $0 != active.version }).flatMap(models.entry)
        {
            return encode(raw, with: other.value, deadline: deadline)
        }
        return result
    }

    private func encode(_ raw: RawHistory, with model: SequenceModel, deadline: Deadline?) -> Result<Encoded, ServiceError> {
        let config = model.config
        // Every id is checked, also those older than the model's window that are then ignored: a
        // request naming an item that does not exist is wrong wherever the id is.
        if let problem = Self.invalidIDs(raw.items, itemCount: config.itemCount) { return .failure(problem) }
        let recent = Array(raw.items.suffix(config.maxHistory))
        let key = EncodingCache.Key(userID: raw.userID, modelVersion: config.version, history: recent)
        let cached = cache.get(key)
        metrics.cache("encodings", hits: cached == nil ? 0 : 1, misses: cached == nil ? 1 : 0)
        if let cached { return .success(Encoded(history: cached, cacheHit: true)) }
        let rowCache = rowCaches.cache(version: config.version, dim: config.dim, held: models.versions)
        var rows = [Float](repeating: 0, count: recent.count * config.dim)
        let gathered = rows.withUnsafeMutableBufferPointer {
            rowCache.gather(recent[...], into: $0.baseAddress!, embeddings: embeddings, deadline: deadline)
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
        return .success(Encoded(history: encoded, cacheHit: false))
    }

    static func invalidIDs(_ history: [Int64], itemCount: Int) -> ServiceError? {
        let negative = Array(Set(history.filter { $0 < 0 })).sorted()
        if !negative.isEmpty { return .negativeItems(negative) }
        let unknown = Array(Set(history.filter { $0 >= Int64(itemCount) })).sorted()
        return unknown.isEmpty ? nil : .unknownItems(unknown, itemCount: itemCount)
    }
}
