import Glibc

/// A reading of the monotonic clock: for heartbeats, timeouts and timings inside one process.
///
/// Never for deadlines, which cross processes and hosts (`WallInstant`). Durations between
/// instants are Swift's `Duration`, so no code converts milliseconds to nanoseconds by hand.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds since an arbitrary origin (boot, for the real clock; zero, in tests).
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The origin, for tests that drive time by hand.
    public static let zero = Instant(nanoseconds: 0)

    public static var now: Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    public static func + (lhs: Instant, rhs: Duration) -> Instant { Instant(nanoseconds: lhs.nanoseconds + rhs.nanoseconds) }
    public static func - (lhs: Instant, rhs: Instant) -> Duration { .nanoseconds(lhs.nanoseconds - rhs.nanoseconds) }
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Time since this instant, read from the real clock.
    public var elapsed: Duration { Instant.now - self }

    public var description: String { "\(Double(nanoseconds) / 1e6) ms" }
}

/// A reading of the wall clock, microseconds since the Unix epoch: what deadlines are made of,
/// because they cross hosts (which must keep their clocks in sync, NTP).
public struct WallInstant: Sendable, Hashable, Comparable {
    public var unixMicros: Int64

    public init(unixMicros: Int64) { self.unixMicros = unixMicros }

    public static var now: WallInstant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallInstant(unixMicros: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public static func + (lhs: WallInstant, rhs: Duration) -> WallInstant {
        WallInstant(unixMicros: lhs.unixMicros + rhs.nanoseconds / 1000)
    }
    public static func - (lhs: WallInstant, rhs: WallInstant) -> Duration { .microseconds(lhs.unixMicros - rhs.unixMicros) }
    public static func < (lhs: WallInstant, rhs: WallInstant) -> Bool { lhs.unixMicros < rhs.unixMicros }
}

/// Both clocks read at one event: what state machines and coordinators are handed as `now`, so
/// they read no clock themselves and tests can drive time directly.
public struct Moment: Sendable, Hashable {
    public var instant: Instant
    public var wall: WallInstant

    public init(instant: Instant, wall: WallInstant) { (self.instant, self.wall) = (instant, wall) }

    public static var now: Moment { Moment(instant: .now, wall: .now) }

    public static func + (lhs: Moment, rhs: Duration) -> Moment { Moment(instant: lhs.instant + rhs, wall: lhs.wall + rhs) }
}

extension Duration {
    /// Whole nanoseconds (saturating far beyond any timeout this code uses).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, rounded down: for APIs that take milliseconds (zmq_poll, socket options).
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// Whole microseconds, rounded down, clamped to UInt32: the wire's timing fields.
    public var wireMicros: UInt32 { UInt32(clamping: nanoseconds / 1000) }
}
