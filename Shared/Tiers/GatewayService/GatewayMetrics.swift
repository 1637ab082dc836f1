import CoreMetrics
import Telemetry
import Wire

/// The gateway's Prometheus metrics, recorded by its I/O loop after each action (never inside the
/// coordinator), so the request path's only cost is a few atomic adds per reply.
///
/// Owned by the loop's thread: the per-label handle caches are not locked.
final class GatewayMetrics {
    let telemetry: Telemetry
    private var requests: [String: CoreMetrics.Counter] = [:]
    private var stages: [String: CoreMetrics.Timer] = [:]
    private let pending: Meter
    private var liveWorkers: [String: Meter] = [:]
    private var queuedJobs: [String: Meter] = [:]
    private var freeCredits: [String: Meter] = [:]
    private var shares: [String: Meter] = [:]

    /// The reply timings recorded as stage histograms, by the stage name they get.
    static let stageOfTiming = [
        "gateway_queue": "queue", "encode": "encode", "score": "score", "gateway_total": "total",
    ]

    init(telemetry: Telemetry) {
        self.telemetry = telemetry
        pending = telemetry.gauge("recserve_gateway_pending_requests", help: "Client requests in flight in the gateway.")
    }

    func record(_ outcome: RequestOutcome) {
        let key = outcome.code + "\u{0}" + outcome.modelVersion
        let counter =
            requests[key]
            ?? telemetry.counter(
                "recserve_gateway_requests_total", help: "Client requests answered, by outcome code and serving model version.",
                labels: [("code", outcome.code), ("model_version", outcome.modelVersion)])
        requests[key] = counter
        counter.increment()
        for timing in outcome.timings {
            guard let stage = Self.stageOfTiming[timing.tier] else { continue }
            let key = stage + "\u{0}" + outcome.modelVersion
            let timer =
                stages[key]
                ?? telemetry.timer(
                    "recserve_gateway_stage_duration_seconds",
                    help: "Time answered requests spent per stage: queue (waiting for a free replica), encode, score, total.",
                    labels: [("stage", stage), ("model_version", outcome.modelVersion)])
            stages[key] = timer
            timer.recordMicroseconds(Int(timing.micros))
        }
    }

    /// The broker's view, set once per loop turn.
    func recordBroker(_ coordinator: GatewayCoordinator, services: [String]) {
        guard telemetry.isOn else { return }
        pending.set(coordinator.pendingRequests)
        for service in services {
            gauge(&liveWorkers, "recserve_gateway_live_workers", "Replicas registered and alive, per service.", service)
                .set(coordinator.liveWorkers(service: service))
            gauge(&queuedJobs, "recserve_gateway_queued_jobs", "Jobs waiting in the gateway for a free replica, per service.", service)
                .set(coordinator.queuedJobs(service: service))
            gauge(
                &freeCredits, "recserve_gateway_free_credits", "Unused credits (free compute threads) of live replicas, per service.",
                service
            )
            .set(coordinator.freeCredits(service: service))
        }
    }

    /// Each version's share of traffic, in percent (versions dropped from the split go to 0).
    func recordSplit(_ split: TrafficSplit) {
        let current = Dictionary(split.shares.map { ($0.version, Int($0.percent)) }, uniquingKeysWith: +)
        for version in Set(shares.keys).union(current.keys) {
            gauge(
                &shares, "recserve_gateway_traffic_share_percent", "Share of users routed to each model version, in percent.", version,
                label: "model_version"
            )
            .set(current[version] ?? 0)
        }
    }

    private func gauge(
        _ cache: inout [String: Meter], _ name: String, _ help: String, _ value: String, label: String = "service"
    ) -> Meter {
        if let gauge = cache[value] { return gauge }
        let gauge = telemetry.gauge(name, help: help, labels: [(label, value)])
        cache[value] = gauge
        return gauge
    }
}
