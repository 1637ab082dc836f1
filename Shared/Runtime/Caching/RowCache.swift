import Clients
import Wire

/// A bounded cache of hot item rows in front of the embedding-server, one per model version
/// (rows differ between versions). The scorer gathers candidate rows through it, the encoder
/// history rows: for a catalog whose hot items fit, neither pays a lookup round trip per request.
///
/// Rows live in one preallocated block; the LRU maps an id to its row slot and hands back the slot
/// of whatever it evicts, so a steady state allocates nothing. Not thread-safe: one per compute
/// thread.
public final class RowCache {
    private var lru: LRUCache<Int64, Int>
    private var storage: [Float]
    public let dim: Int
    public let version: String

    public init(capacity: Int, dim: Int, version: String) {
        lru = LRUCache(capacity: max(capacity, 1))
        storage = [Float](repeating: 0, count: max(capacity, 1) * dim)
        self.dim = dim
        self.version = version
    }

    public var count: Int { lru.count }

    /// Writes rows for `ids` into `out` (`ids.count x dim`), fetching misses in one batch.
    /// Returns the number of misses.
    public func gather(
        _ ids: ArraySlice<Int64>, into out: UnsafeMutablePointer<Float>, embeddings: EmbeddingClient, deadline: Deadline?
    ) -> Result<Int, ServiceError> {
        // Each missing id once, with every position that wants it (id lists may repeat ids).
        var wanted: [Int64: [Int]] = [:]
        storage.withUnsafeBufferPointer { storage in
            for position in 0..<ids.count {
                let id = ids[ids.startIndex + position]
                if let slot = lru.get(id) {
                    (out + position * dim).update(from: storage.baseAddress! + slot * dim, count: dim)
                } else {
                    wanted[id, default: []].append(position)
                }
            }
        }
        guard !wanted.isEmpty else { return .success(0) }
        let missing = Array(wanted.keys)
        let fetched: [Float]
        switch embeddings.lookup(missing, version: version, deadline: deadline) {
        case .failure(let error): return .failure(error)
        case .success(let rows): fetched = rows
        }
        fetched.withUnsafeBufferPointer { rows in
            for (i, id) in missing.enumerated() {
                let row = rows.baseAddress! + i * dim
                for position in wanted[id]! { (out + position * dim).update(from: row, count: dim) }
                let slot = insert(id)
                storage.withUnsafeMutableBufferPointer { ($0.baseAddress! + slot * dim).update(from: row, count: dim) }
            }
        }
        return .success(missing.count)
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
