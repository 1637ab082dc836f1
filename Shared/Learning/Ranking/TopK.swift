/// One scored item.
public struct ScoredItem: Sendable, Equatable {
    public var id: Int64
    public var score: Float

    public init(id: Int64, score: Float) {
        self.id = id
        self.score = score
    }

    /// Higher score first; equal scores by lower id, so rankings are deterministic everywhere.
    @inline(__always)
    public func ranksBefore(_ other: ScoredItem) -> Bool {
        score > other.score || (score == other.score && id < other.id)
    }
}

/// Selects the best `k` of many scores with a size-k heap: O(n log k), no full sort.
public enum TopK {
    public static func select(count: Int, k: Int, id: (Int) -> Int64, score: (Int) -> Float) -> [ScoredItem] {
        guard k > 0, count > 0 else { return [] }
        // heap[0] is the worst of the kept items.
        var heap: [ScoredItem] = []
        heap.reserveCapacity(min(k, count))
        for index in 0..<count {
            let item = ScoredItem(id: id(index), score: score(index))
            if heap.count < k {
                heap.append(item)
                siftUp(&heap, heap.count - 1)
            } else if item.ranksBefore(heap[0]) {
                heap[0] = item
                siftDown(&heap, 0)
            }
        }
        return heap.sorted { $0.ranksBefore($1) }
    }

    /// Merges already-ranked lists (for example, scorer slices) into one top-k.
    public static func merge(_ lists: [[ScoredItem]], k: Int) -> [ScoredItem] {
        Array(lists.joined().sorted { $0.ranksBefore($1) }.prefix(max(k, 0)))
    }

    private static func siftUp(_ heap: inout [ScoredItem], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[parent].ranksBefore(heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [ScoredItem], _ start: Int) {
        var parent = start
        while true {
            var worst = parent
            for child in [2 * parent + 1, 2 * parent + 2] where child < heap.count && heap[worst].ranksBefore(heap[child]) {
                worst = child
            }
            guard worst != parent else { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
