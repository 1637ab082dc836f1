/// Scratch memory for one thread's forward passes, grown on demand and reused across requests so
/// the hot path does not allocate.
///
/// Not Sendable: each compute thread owns its own.
public final class Workspace {
    private var buffers: [Slot: (pointer: UnsafeMutablePointer<Float>, capacity: Int)] = [:]
    private var rawBuffers: [RawSlot: (pointer: UnsafeMutableRawPointer, bytes: Int)] = [:]

    enum Slot: Hashable {
        case tokens, normed, query, attention, scores, sums, ffn, keys, values, head, rowScales, hiddenScales
    }

    /// Scratch of other element types: the int8 dense path's quantized inputs and int32 products,
    /// and int8 attention's weights (u8) and per-head products.
    enum RawSlot: Hashable {
        case quantized, products, hiddenCodes, attentionCodes, headProducts
    }

    public init() {}

    deinit {
        for (_, buffer) in buffers { buffer.pointer.deallocate() }
        for (_, buffer) in rawBuffers { buffer.pointer.deallocate() }
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

    /// A buffer of at least `count` values of `type`; contents are unspecified.
    func buffer<T>(_ slot: RawSlot, count: Int, of type: T.Type) -> UnsafeMutablePointer<T> {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        if let existing = rawBuffers[slot], existing.bytes >= bytes { return existing.pointer.bindMemory(to: T.self, capacity: count) }
        rawBuffers[slot]?.pointer.deallocate()
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        rawBuffers[slot] = (pointer, bytes)
        return pointer.bindMemory(to: T.self, capacity: count)
    }
}

/// An array of `count` values that `initialize` writes in full (no zero-filling first).
func uninitialized<T>(_ type: T.Type, count: Int, _ initialize: (UnsafeMutablePointer<T>) -> Void) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        initialize(buffer.baseAddress!)
        initialized = count
    }
}
