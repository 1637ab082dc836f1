/// A fixed-capacity map that evicts the least recently used entry; O(1) get and set.
///
/// Entries live in an array of slots linked into a recency list by index, so eviction reuses a
/// slot instead of allocating. Not thread-safe: wrap it in a lock to share it.
public struct LRUCache<Key: Hashable, Value> {
    private struct Slot {
        var key: Key
        var value: Value
        var newer: Int
        var older: Int
    }

    public let capacity: Int
    private var slots: [Slot] = []
    private var index: [Key: Int] = [:]
    private var newest = -1
    private var oldest = -1
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(capacity: Int) {
        precondition(capacity >= 1, "an LRU cache holds at least one entry")
        self.capacity = capacity
    }

    public var count: Int { index.count }

    /// The value for `key`, marking it most recently used.
    public mutating func get(_ key: Key) -> Value? {
        guard let slot = index[key] else {
            misses += 1
            return nil
        }
        hits += 1
        moveToNewest(slot)
        return slots[slot].value
    }

    /// Inserts or replaces; returns the entry evicted to make room, if any.
    @discardableResult
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
        index[evicted.key] = nil
        unlink(slot)
        slots[slot].key = key
        slots[slot].value = value
        index[key] = slot
        linkAsNewest(slot)
        return evicted
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (slots[slot].newer, slots[slot].older)
        if newer >= 0 { slots[newer].older = older } else { newest = older }
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
    }

    private mutating func linkAsNewest(_ slot: Int) {
        slots[slot].newer = -1
        slots[slot].older = newest
        if newest >= 0 { slots[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}
