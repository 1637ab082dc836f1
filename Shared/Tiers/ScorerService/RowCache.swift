import Caching
import Clients
import Model
import Wire

/// The scorer's bounded cache of hot item rows, in front of the embedding-server.
///
/// Rows live in one preallocated block; the LRU maps an id to its row slot and hands back the slot
/// of whatever it evicts, so a steady state allocates nothing. One per compute thread.
final class RowCache {
    private var lru: LRUCache<Int64, Int>
    private let storage: Tensor
    private let dim: Int

    init(capacity: Int, dim: Int) {
        lru = LRUCache(capacity: max(capacity, 1))
        storage = Tensor(shape: [max(capacity, 1), dim])
        self.dim = dim
    }

    /// Writes rows for `ids` into `out` (`ids.count x dim`), fetching misses in one batch.
    /// Returns the number of misses.
    func gather(
        _ ids: ArraySlice<Int64>, into out: UnsafeMutablePointer<Float>, embeddings: EmbeddingClient, version: String,
        deadline: Deadline?
    ) -> Result<Int, ServiceError> {
        // Each missing id once, with every position that wants it (candidate lists may repeat ids).
        var wanted: [Int64: [Int]] = [:]
        for (position, id) in ids.enumerated() {
            if let slot = lru.get(id) {
                (out + position * dim).update(from: storage.row(slot), count: dim)
            } else {
                wanted[id, default: []].append(position)
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
                storage.row(insert(id)).update(from: row, count: dim)
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
