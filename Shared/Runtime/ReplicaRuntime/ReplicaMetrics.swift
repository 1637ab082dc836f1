import Clocks
import CoreMetrics
import Telemetry
import Wire

/// One compute thread's view of its replica's metrics: outcomes, compute time per model version,
/// cache hits. Each thread has its own instance (its label caches are not locked); the handles
/// behind them are shared through the registry and safe to record into from any thread.
public final class ReplicaMetrics {
    let telemetry: Telemetry
    let service: String
    let counters: ReplicaCounters
    private var outcomes: [String: CoreMetrics.Counter] = [:]
    private var compute: [String: CoreMetrics.Timer] = [:]
    private var caches: [String: CoreMetrics.Counter] = [:]

    public init(telemetry: Telemetry, service: String, counters: ReplicaCounters = ReplicaCounters()) {
        self.telemetry = telemetry
        self.service = service
        self.counters = counters
    }

    /// Recording into nothing but its own counters (tests, in-process use).
    public static func off(service: String) -> ReplicaMetrics { ReplicaMetrics(telemetry: .off, service: service) }

    /// A request answered; `version` is the model version that served it.
    public func succeeded(version: String, duration: Duration) {
        counters.requests.add(1, ordering: .relaxed)
        outcome("OK").increment()
        let timer =
            compute[version]
            ?? telemetry.timer(
                "recserve_replica_compute_duration_seconds",
                help: "Time a replica's compute thread spent on a request it answered (lookups included), per model version.",
                labels: [("service", service), ("model_version", version)])
        compute[version] = timer
        timer.recordNanoseconds(duration.nanoseconds)
    }

    public func failed(_ code: ServiceError.Code) {
        counters.requests.add(1, ordering: .relaxed)
        counters.failures.add(1, ordering: .relaxed)
        outcome(code.name).increment()
    }

    /// Lookups in one of the replica's caches ("encodings", "rows").
    public func cache(_ name: String, hits: Int, misses: Int) {
        counters.cacheHits.add(UInt64(hits), ordering: .relaxed)
        counters.cacheMisses.add(UInt64(misses), ordering: .relaxed)
        if hits > 0 { cacheCounter(name, "hit").increment(by: hits) }
        if misses > 0 { cacheCounter(name, "miss").increment(by: misses) }
    }

    private func outcome(_ code: String) -> CoreMetrics.Counter {
        if let counter = outcomes[code] { return counter }
        let counter = telemetry.counter(
            "recserve_replica_requests_total", help: "Requests a replica answered, by outcome code.",
            labels: [("service", service), ("code", code)])
        outcomes[code] = counter
        return counter
    }

    private func cacheCounter(_ cache: String, _ result: String) -> CoreMetrics.Counter {
        let key = cache + "\u{0}" + result
        if let counter = caches[key] { return counter }
        let counter = telemetry.counter(
            "recserve_cache_lookups_total", help: "Cache lookups by cache (encodings, rows) and result (hit, miss).",
            labels: [("service", service), ("cache", cache), ("result", result)])
        caches[key] = counter
        return counter
    }
}
