import CoreMetrics
import Telemetry

/// The embedding-server's lookup metrics, recorded by its loop thread (which owns this object).
final class EmbeddingMetrics {
    let telemetry: Telemetry
    private var lookups: [String: CoreMetrics.Counter] = [:]
    private let rows: CoreMetrics.Counter
    private let duration: CoreMetrics.Timer

    init(telemetry: Telemetry) {
        self.telemetry = telemetry
        rows = telemetry.counter("recserve_embedding_rows_total", help: "Rows returned by lookups.")
        duration = telemetry.timer(
            "recserve_embedding_lookup_duration_seconds", help: "Time from reading a lookup to its reply being queued.")
    }

    func lookup(code: String, rows count: Int, duration elapsed: Duration) {
        let counter =
            lookups[code]
            ?? telemetry.counter(
                "recserve_embedding_lookups_total", help: "Lookup requests answered, by outcome code.", labels: [("code", code)])
        lookups[code] = counter
        counter.increment()
        if count > 0 { rows.increment(by: count) }
        duration.recordNanoseconds(elapsed.nanoseconds)
    }
}
