/// Scratch memory for one thread's forward passes, grown on demand and reused across requests so
/// the hot path does not allocate.
///
/// Not Sendable: each compute thread owns its own.
public final class Workspace {
    private var buffers: [Slot: (pointer: UnsafeMutablePointer<Float>, capacity: Int)] = [:]

    enum Slot: Hashable {
        case tokens, normed, query, attention, scores, sums, ffn, keys, values, head
    }

    public init() {}

    deinit {
        for (_, buffer) in buffers { buffer.pointer.deallocate() }
    }

    /// A buffer of at least `count` floats; contents are unspecified.
    func buffer(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        if let existing = buffers[slot], existing.capacity >= count { return existing.pointer }
        buffers[slot]?.pointer.deallocate()
        let capacity = max(count, 1)
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        buffers[slot] = (pointer, capacity)
        return pointer
    }
}
