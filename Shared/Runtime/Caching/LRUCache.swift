/// A fixed-capacity map that evicts the least recently used entry; O(1) get and set.
///
/// Entries live in an array of slots linked into a recency list by index, so eviction reuses a
/// slot instead of allocating. Not thread-safe: wrap it in a lock to share it.
///
/// Inlinable so callers get a version specialized to their key and value types: the generic one
/// looked up type metadata on every call (8% of a scorer's samples went to its row cache).
public struct LRUCache<Key: Hashable, Value> {
    @usableFromInline
    struct Slot {
        @usableFromInline var key: Key
        @usableFromInline var value: Value
        @usableFromInline var newer: Int
        @usableFromInline var older: Int

        @inlinable init(key: Key, value: Value, newer: Int, older: Int) {
            self.key = key
            self.value = value
            self.newer = newer
            self.older = older
        }
    }

    public let capacity: Int
    @usableFromInline var slots: [Slot] = []
    @usableFromInline var index: [Key: Int] = [:]
    @usableFromInline var newest = -1
    @usableFromInline var oldest = -1
    @usableFromInline var hitCount = 0
    @usableFromInline var missCount = 0
    public var hits: Int { hitCount }
    public var misses: Int { missCount }

    @inlinable public init(capacity: Int) {
        precondition(capacity >= 1, "an LRU cache holds at least one entry")
        self.capacity = capacity
    }

    @inlinable public var count: Int { index.count }

    /// The value for `key`, marking it most recently used.
    @inlinable public mutating func get(_ key: Key) -> Value? {
        guard let slot = index[key] else {
            missCount += 1
            return nil
        }
        hitCount += 1
        moveToNewest(slot)
        return slots[slot].value
    }

    /// Inserts or replaces; returns the entry evicted to make room, if any.
    @inlinable @discardableResult
    public mutating func set(_ key: Key, _ value: Value) -> (key: Key, value: Value)? {
        if let slot = index[key] {
            slots[slot].value = value
            moveToNewest(slot)
            return nil
        }
        if slots.count < capacity {
            slots.append(Slot(key: key, value: value, newer: -1, older: -1))
            let slot = slots.count - 1
            index[key] = slot
            linkAsNewest(slot)
            return nil
        }
        let slot = oldest
        let evicted = (key: slots[slot].key, value: slots[slot].value)
        // Not `index[evicted.key] = nil`: specialized in another module by Swift 6.3.1's optimizer,
        // that assignment was dropped and the cache grew past its capacity (LRUCacheTests caught it).
        index.removeValue(forKey: evicted.key)
        unlink(slot)
        slots[slot].key = key
        slots[slot].value = value
        index[key] = slot
        linkAsNewest(slot)
        return evicted
    }

    @inlinable mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    @inlinable mutating func unlink(_ slot: Int) {
        let (newer, older) = (slots[slot].newer, slots[slot].older)
        if newer >= 0 { slots[newer].older = older } else { newest = older }
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
    }

    @inlinable mutating func linkAsNewest(_ slot: Int) {
        slots[slot].newer = -1
        slots[slot].older = newest
        if newest >= 0 { slots[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}
