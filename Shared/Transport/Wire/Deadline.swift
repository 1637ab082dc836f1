import Clocks

/// An absolute point in wall-clock time, microseconds since the Unix epoch, by which a request
/// must be answered.
///
/// Absolute (not relative) so that every tier can drop expired work without knowing how long the
/// request already travelled. Wall clock because it crosses process boundaries; hosts must keep
/// their clocks in sync (NTP) for deadlines to be exact across machines.
public struct Deadline: Sendable, Equatable, Comparable {
    public var unixMicros: Int64

    public init(unixMicros: Int64) { self.unixMicros = unixMicros }
    public init(_ instant: WallInstant) { unixMicros = instant.unixMicros }

    public var instant: WallInstant { WallInstant(unixMicros: unixMicros) }

    /// `timeout` after `now`.
    public static func after(_ timeout: Duration, from now: WallInstant = .now) -> Deadline { Deadline(now + timeout) }

    public static func after(milliseconds: Int) -> Deadline { after(.milliseconds(milliseconds)) }

    /// Time left at `now` (negative when already past).
    public func remaining(at now: WallInstant = .now) -> Duration { instant - now }
    public func hasPassed(at now: WallInstant = .now) -> Bool { unixMicros <= now.unixMicros }

    /// Read from the real clock; for handlers at the edge (state machines take `now` instead).
    public var hasPassed: Bool { hasPassed(at: .now) }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.unixMicros < rhs.unixMicros }
}
