import Caching
import Model
import Testing

@Suite struct LRUCacheTests {
    @Test func evictsLeastRecentlyUsed() {
        var cache = LRUCache<Int, String>(capacity: 2)
        cache.set(1, "a")
        cache.set(2, "b")
        #expect(cache.get(1) == "a")  // 2 is now the oldest
        let evicted = cache.set(3, "c")
        #expect(evicted?.key == 2)
        #expect(cache.get(2) == nil)
        #expect(cache.get(1) == "a" && cache.get(3) == "c")
        #expect(cache.count == 2)
    }

    @Test func matchesAReferenceModelUnderRandomOperations() {
        var cache = LRUCache<Int, Int>(capacity: 16)
        var reference: [(key: Int, value: Int)] = []  // newest last
        var rng = SeededRandom(seed: 42)
        for step in 0..<20_000 {
            let key = Int.random(in: 0..<40, using: &rng)
            if Bool.random(using: &rng) {
                let expected = reference.firstIndex { $0.key == key }.map { reference.remove(at: $0) }
                if let expected { reference.append(expected) }
                #expect(cache.get(key) == expected?.value, "step \(step)")
            } else {
                reference.removeAll { $0.key == key }
                reference.append((key, step))
                if reference.count > 16 { reference.removeFirst() }
                cache.set(key, step)
            }
        }
        #expect(cache.count == reference.count)
    }
}
