import Clients
import RowCodec
import Wire

/// A bounded cache of hot item rows in front of the embedding-server, one per model version
/// (rows differ between versions). The scorer gathers candidate rows through it, the encoder
/// history rows: for a catalog whose hot items fit, neither pays a lookup round trip per request.
///
/// Rows are fetched and kept in the table's compact row encoding (an int8 row-wise table's rows
/// take 72 bytes at d 64 instead of 256) and widened to f32 as they are gathered. They live in one
/// block allocated at the first fetch, when the encoding is known; the LRU maps an id to its slot
/// and hands back the slot of whatever it evicts, so a steady state allocates nothing. Not
/// thread-safe: one per compute thread.
public final class RowCache {
    private var lru: LRUCache<Int64, Int>
    private var storage: [UInt8] = []
    /// The encoding the cached rows are in (nil until the first fetch).
    public private(set) var encoding: RowEncoding?
    public let capacity: Int
    public let dim: Int
    public let version: String

    public init(capacity: Int, dim: Int, version: String) {
        self.capacity = max(capacity, 1)
        lru = LRUCache(capacity: self.capacity)
        self.dim = dim
        self.version = version
    }

    public var count: Int { lru.count }
    /// Bytes the cached rows take.
    public var byteCount: Int { storage.count }

    /// Writes rows for `ids` into `out` (`ids.count x dim`, f32), fetching misses in one batch.
    /// Returns the number of misses.
    public func gather(
        _ ids: ArraySlice<Int64>, into out: UnsafeMutablePointer<Float>, embeddings: EmbeddingClient, deadline: Deadline?
    ) -> Result<Int, ServiceError> {
        // Each missing id once, with every position that wants it (id lists may repeat ids).
        var wanted: [Int64: [Int]] = [:]
        if let encoding {
            let size = encoding.bytesPerRow(dim: dim)
            storage.withUnsafeBytes { storage in
                for position in 0..<ids.count {
                    let id = ids[ids.startIndex + position]
                    if let slot = lru.get(id) {
                        encoding.decode(packed: storage.baseAddress! + slot * size, dim: dim, into: out + position * dim)
                    } else {
                        wanted[id, default: []].append(position)
                    }
                }
            }
        } else {
            for position in 0..<ids.count { wanted[ids[ids.startIndex + position], default: []].append(position) }
        }
        guard !wanted.isEmpty else { return .success(0) }
        let missing = Array(wanted.keys)
        let fetched: EmbeddingRows
        switch embeddings.rows(missing, version: version, deadline: deadline, compact: true) {
        case .failure(let error): return .failure(error)
        case .success(let rows): fetched = rows
        }
        if fetched.encoding != encoding { reset(to: fetched.encoding) }
        let size = fetched.bytesPerRow
        fetched.packed.withUnsafeBytes { rows in
            for (i, id) in missing.enumerated() {
                let row = rows.baseAddress! + i * size
                for position in wanted[id]! { fetched.encoding.decode(packed: row, dim: dim, into: out + position * dim) }
                let slot = insert(id)
                storage.withUnsafeMutableBytes { ($0.baseAddress! + slot * size).copyMemory(from: row, byteCount: size) }
            }
        }
        return .success(missing.count)
    }

    /// Starts over in `encoding` (the first fetch, or a table that changed format under this version).
    private func reset(to encoding: RowEncoding) {
        self.encoding = encoding
        lru = LRUCache(capacity: capacity)
        storage = [UInt8](repeating: 0, count: capacity * encoding.bytesPerRow(dim: dim))
    }

    /// Adds an id that is not cached yet; returns the storage slot its row goes in.
    private func insert(_ id: Int64) -> Int {
        if lru.count < lru.capacity {
            let slot = lru.count
            lru.set(id, slot)
            return slot
        }
        // Full: the new id takes over the evicted entry's slot.
        let slot = lru.set(id, 0)!.value
        lru.set(id, slot)
        return slot
    }
}

/// The row caches of the model versions a replica holds; a version no longer held loses its cache
/// when another version's is created.
public final class RowCaches {
    public let capacity: Int
    private var caches: [String: RowCache] = [:]

    public init(capacity: Int) { self.capacity = capacity }

    public func cache(version: String, dim: Int, held: @autoclosure () -> [String]) -> RowCache {
        if let cache = caches[version] { return cache }
        let keep = Set(held())
        caches = caches.filter { keep.contains($0.key) }
        let cache = RowCache(capacity: capacity, dim: dim, version: version)
        caches[version] = cache
        return cache
    }
}
