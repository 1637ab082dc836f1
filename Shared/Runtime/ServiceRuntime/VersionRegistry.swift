import Clocks
import Synchronization

/// The model versions a replica holds during a swap: the newest and the one before it.
///
/// Requests already encoded with the previous version finish on it; new work moves to the newest
/// once it has been held for `activationDelay` (so that other tiers, watching the same file, have
/// loaded it too). Thread-safe; time is passed in.
public final class VersionRegistry<Value: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let version: String
        public let value: Value
        let installedAt: Instant?
    }

    private let entries: Mutex<[Entry]>  // oldest first, at most two
    public let activationDelay: Duration

    public init(version: String, value: Value, activationDelay: Duration = .zero) {
        entries = Mutex([Entry(version: version, value: value, installedAt: nil)])
        self.activationDelay = activationDelay
    }

    /// Adds a newer version; the oldest of three is dropped. False if `version` is already held.
    @discardableResult
    public func install(version: String, value: Value, now: Instant) -> Bool {
        entries.withLock { entries in
            guard !entries.contains(where: { $0.version == version }) else { return false }
            entries.append(Entry(version: version, value: value, installedAt: now))
            if entries.count > 2 { entries.removeFirst() }
            return true
        }
    }

    /// The version new work should use: the newest once its activation delay has passed.
    public func active(now: Instant) -> Entry {
        entries.withLock { entries in
            let newest = entries[entries.count - 1]
            if entries.count == 1 || newest.installedAt.map({ now - $0 >= activationDelay }) ?? true { return newest }
            return entries[entries.count - 2]
        }
    }

    /// A held version by name (serving work that names its version).
    public func entry(_ version: String) -> Entry? {
        entries.withLock { entries in entries.last { $0.version == version } }
    }

    /// Every held version, oldest first.
    public var versions: [String] { entries.withLock { $0.map(\.version) } }
    public var newest: Entry { entries.withLock { $0[$0.count - 1] } }
}
