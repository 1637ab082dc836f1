import Synchronization
import Wire

/// A replica's running totals, shared by its compute threads (which count) and its I/O thread
/// (which reports them in heartbeats for `recctl status`). Counted whether or not Prometheus
/// metrics are on: four relaxed atomic adds per request.
public final class ReplicaCounters: Sendable {
    let requests = Atomic<UInt64>(0)
    let failures = Atomic<UInt64>(0)
    let cacheHits = Atomic<UInt64>(0)
    let cacheMisses = Atomic<UInt64>(0)

    public init() {}

    /// The status a heartbeat carries.
    public func status(versions: [String], busy: Int) -> ReplicaStatus {
        var status = ReplicaStatus()
        status.versions = versions
        status.requests = requests.load(ordering: .relaxed)
        status.failures = failures.load(ordering: .relaxed)
        status.cacheHits = cacheHits.load(ordering: .relaxed)
        status.cacheMisses = cacheMisses.load(ordering: .relaxed)
        status.busy = UInt32(clamping: busy)
        return status
    }
}
