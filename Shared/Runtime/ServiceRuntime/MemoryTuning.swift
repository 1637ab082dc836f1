import CMalloc

/// Keeps glibc from handing large freed buffers back to the kernel after every request.
///
/// Each request allocates and frees buffers of 50-250 KB (encoded histories, candidate rows, wire
/// messages). With glibc's defaults some of them are mmapped or trimmed back to the kernel on free,
/// so the next request page-faults and zero-fills them again: a profile of the W1 gateway path
/// had page faults and page clearing as the gateway's and encoder's top kernel symbols, and setting
/// these two thresholds cut its p50 by about 20%. Buffers above 64 MiB (model tables) are still
/// mapped on their own, and up to 256 MiB of freed heap stays with the process for reuse.
public enum MemoryTuning {
    public static let mmapThreshold: Int32 = 64 << 20
    public static let trimThreshold: Int32 = 256 << 20

    /// Call once at start, before the first large allocation.
    public static func keepFreedBuffers() {
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
    }
}
