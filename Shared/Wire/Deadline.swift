import Glibc

/// An absolute point in wall-clock time, microseconds since the Unix epoch.
///
/// Absolute (not relative) so that every tier can drop expired work without knowing how long the
/// request already travelled. Wall clock because it crosses process boundaries; hosts must keep
/// their clocks in sync (NTP) for deadlines to be exact across machines.
public struct Deadline: Sendable, Equatable, Comparable {
    public var unixMicros: Int64

    public init(unixMicros: Int64) { self.unixMicros = unixMicros }

    public static func now() -> Deadline {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Deadline(unixMicros: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public static func after(milliseconds: Int) -> Deadline {
        Deadline(unixMicros: now().unixMicros + Int64(milliseconds) * 1000)
    }

    /// Microseconds left (negative when already past).
    public var remainingMicros: Int64 { unixMicros - Deadline.now().unixMicros }
    public var hasPassed: Bool { remainingMicros <= 0 }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.unixMicros < rhs.unixMicros }
}

/// A monotonic clock for measuring durations (timings, latencies), never for deadlines.
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func microsSince(_ start: UInt64) -> UInt32 {
        UInt32(clamping: (nanoseconds() &- start) / 1000)
    }
}
