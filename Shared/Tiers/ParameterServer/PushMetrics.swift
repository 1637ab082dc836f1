import Clocks
import CoreMetrics
import Telemetry
import Wire

/// The parameter server's metrics: pushes by outcome, rows pushed, write-ahead-log sync latency and
/// Slipstream's stale rows. Recorded by the embedding-server's loop thread, which owns this object.
final class PushMetrics {
    let telemetry: Telemetry
    private var pushes: [String: CoreMetrics.Counter] = [:]
    private let rows: CoreMetrics.Counter
    let walSync: CoreMetrics.Timer
    let staleRows: Meter

    init(telemetry: Telemetry) {
        self.telemetry = telemetry
        rows = telemetry.counter("recserve_push_rows_total", help: "Embedding rows updated by applied pushes.")
        walSync = telemetry.timer(
            "recserve_push_wal_sync_duration_seconds", help: "Time one write-ahead-log sync (fsync) took; pushes wait for it.")
        staleRows = telemetry.gauge(
            "recserve_push_stale_rows", help: "Hot rows Slipstream reported stale at the last query (trainers skip them).")
    }

    func push(_ reply: PushReply, rows count: Int) {
        let code: String
        switch reply.result {
        case .success:
            code = "OK"
            rows.increment(by: count)
        case .failure(let error): code = error.code.name
        }
        let counter =
            pushes[code]
            ?? telemetry.counter(
                "recserve_pushes_total", help: "Gradient pushes answered, by outcome code.", labels: [("code", code)])
        pushes[code] = counter
        counter.increment()
    }
}
