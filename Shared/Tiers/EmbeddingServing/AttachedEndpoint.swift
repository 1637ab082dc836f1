import Clocks
import ZeroMQ

/// A second endpoint served on the embedding-server's loop thread: the parameter server's pushes.
///
/// On the same thread as lookups, so pushes update rows that lookups read without any lock; the
/// serving library knows only this protocol, so lookup-only servers link no training code.
public protocol AttachedEndpoint: AnyObject {
    var socket: Socket { get }
    /// How long the loop may sleep before this endpoint has work due (at most `idle`).
    func pollTimeout(now: Instant, idle: Duration) -> Duration
    /// Reads and handles at most `limit` messages waiting on `socket` (the loop polls again for
    /// the rest, after the lookups waiting meanwhile had their turn).
    func drain(limit: Int) throws
    /// Performs timed work (held replies, snapshots); `force` does all of it now (at shutdown).
    func flush(now: Instant, force: Bool)
}
