import Caching
import Synchronization
import Wire

/// Encoded histories by (user, model version, the truncated history itself), shared by the
/// encoder's compute threads.
///
/// Keying on the whole history (its hash is the digest; equality compares every id) means a stale
/// or colliding entry can never be served: a user paging through results is encoded once, and a
/// user whose history changed is encoded afresh.
public final class EncodingCache: Sendable {
    struct Key: Hashable {
        var userID: String
        var modelVersion: String
        var history: [Int64]
    }

    private let lru: Mutex<LRUCache<Key, EncodedHistory>>

    public init(capacity: Int) {
        lru = Mutex(LRUCache(capacity: max(capacity, 1)))
    }

    /// A cache that fits in `megabytes` even when every entry is a full-length history of the
    /// largest model held (keys and values, f32, every layer).
    public convenience init(megabytes: Int, maxHistory: Int, layers: Int, dim: Int) {
        let entryBytes = 2 * layers * maxHistory * dim * MemoryLayout<Float>.size
        self.init(capacity: max(1, megabytes * 1_048_576 / entryBytes))
    }

    func get(_ key: Key) -> EncodedHistory? {
        lru.withLock { $0.get(key) }
    }

    func set(_ key: Key, _ value: EncodedHistory) {
        lru.withLock { _ = $0.set(key, value) }
    }

    public var capacity: Int { lru.withLock { $0.capacity } }
}
