import Clocks
import Foundation
import Logging

/// Polls a file's modification time and size and calls `changed` when either moves: how tiers
/// notice a new model file (written to a temporary name and renamed into place).
public struct FileWatcher: Sendable {
    public let path: String
    public let interval: Duration
    let changed: @Sendable () -> Void

    public init(path: String, interval: Duration, changed: @escaping @Sendable () -> Void) {
        self.path = path
        self.interval = interval
        self.changed = changed
    }

    /// A service that watches until shutdown (loading happens on the watcher's own thread, off the
    /// request path).
    public func service() -> BlockingLoopService {
        BlockingLoopService(name: "model-watcher") { stop in
            var last = Self.signature(path)
            var nextCheck = Instant.now + interval
            while !stop.isStopped {
                usleep(50_000)
                guard Instant.now >= nextCheck else { continue }
                nextCheck = Instant.now + interval
                let current = Self.signature(path)
                if current != last && current != nil {
                    last = current
                    changed()
                }
            }
        }
    }

    static func signature(_ path: String) -> [Int64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_size), Int64(info.st_ino)]
    }
}
