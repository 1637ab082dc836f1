import ArgumentParser
import Logging
import Telemetry

/// Flags every service shares.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .info
    // Not a nested `MetricsOptions` group: a group three levels deep (replica options, these,
    // metrics) crashes swift-argument-parser 1.8.2's parser when built with Swift 6.3.1.
    @Option(help: MetricsOptions.bindHelp)
    public var metricsBind: String?

    public init() {}

    /// This process's metrics and their HTTP endpoint, started now (see `MetricsOptions`).
    public func startMetrics(logger: Logger) throws -> (telemetry: Telemetry, endpoint: MetricsEndpoint?) {
        try MetricsOptions.start(bind: metricsBind, logger: logger)
    }
}

/// Where a process serves its Prometheus metrics, if anywhere (for processes without
/// `ServiceOptions`, such as the trainer).
public struct MetricsOptions: ParsableArguments, Sendable {
    static let bindHelp = ArgumentHelp(
        "Serve Prometheus metrics at http://HOST:PORT/metrics (off when unset).",
        discussion: "For example 0.0.0.0:9464 in a container, 127.0.0.1:9464 on a shared host.")

    @Option(help: bindHelp)
    public var metricsBind: String?

    public init() {}

    public func start(logger: Logger?) throws -> (telemetry: Telemetry, endpoint: MetricsEndpoint?) {
        try Self.start(bind: metricsBind, logger: logger)
    }

    /// `Telemetry.off` and no endpoint when `bind` is nil. Keep the endpoint for as long as the
    /// process serves.
    static func start(bind: String?, logger: Logger?) throws -> (telemetry: Telemetry, endpoint: MetricsEndpoint?) {
        guard let bind else { return (.off, nil) }
        let telemetry = Telemetry()
        let endpoint = try MetricsEndpoint(bind: bind, telemetry: telemetry)
        logger?.info("metrics served", metadata: ["url": "http://\(bind)/metrics", "port": "\(endpoint.port)"])
        return (telemetry, endpoint)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
