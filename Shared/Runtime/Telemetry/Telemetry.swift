import CoreMetrics
internal import Prometheus

/// A process's metrics: swift-metrics handles backed by one Prometheus registry, or no-ops when
/// metrics are off (`--metrics-bind` unset), so recording costs nothing in local runs.
///
/// Metrics are made through here rather than swift-metrics' global factory because Prometheus wants
/// a HELP line per family (`promtool check metrics` fails without one) and the factory has no help.
/// Handles are cheap to record into (atomics; a short lock for histograms) and should be made once
/// and kept, not looked up per request.
public final class Telemetry: Sendable {
    /// nil when metrics are off.
    let registry: PrometheusCollectorRegistry?

    /// Metrics off: every handle is a no-op.
    public static let off = Telemetry(registry: nil)

    init(registry: PrometheusCollectorRegistry?) {
        self.registry = registry
    }

    /// Metrics on: a registry of this process's own (tests make several).
    public convenience init() {
        self.init(registry: PrometheusCollectorRegistry())
    }

    public var isOn: Bool { registry != nil }

    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> CoreMetrics.Counter {
        guard let registry else { return Counter(label: name, dimensions: labels, handler: NOOPMetricsHandler.instance) }
        return Counter(label: name, dimensions: labels, handler: registry.makeCounter(name: name, labels: labels, help: help))
    }

    /// A value that goes up and down (set, or incremented by a float).
    public func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Meter {
        guard let registry else { return Meter(label: name, dimensions: labels, handler: NOOPMetricsHandler.instance) }
        return Meter(label: name, dimensions: labels, handler: registry.makeGauge(name: name, labels: labels, help: help))
    }

    /// A latency histogram (exposed in seconds), so p99 can be aggregated across replicas.
    public func timer(
        _ name: String, help: String, labels: [(String, String)] = [], buckets: [Duration] = Telemetry.latencyBuckets
    ) -> CoreMetrics.Timer {
        guard let registry else { return Timer(label: name, dimensions: labels, handler: NOOPMetricsHandler.instance) }
        return Timer(
            label: name, dimensions: labels,
            handler: registry.makeDurationHistogram(name: name, labels: labels, buckets: buckets, help: help))
    }

    /// The Prometheus text exposition of every metric made so far.
    public func exposition() -> [UInt8] {
        registry?.emitToBuffer() ?? []
    }

    /// Request latencies from a cached lookup (0.2 ms) to a deadline (5 s).
    public static let latencyBuckets: [Duration] = [
        .microseconds(200), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(20), .milliseconds(30), .milliseconds(50), .milliseconds(100), .milliseconds(200),
        .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]
}
