import ArgumentParser
import Clients
import Foundation
import ServiceRuntime
import Wire
import ZeroMQ

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "A live view of a running suite from its gateway: replicas, load, QPS, latency, errors, caches, versions and traffic split.",
        discussion: "Refreshes every second until Ctrl-C. --once prints one view; --once --json prints it as JSON for scripts.")

    @Option(help: "The gateway's admin endpoint (its --admin-bind).")
    var admin = DefaultEndpoints.gatewayAdmin()
    @Flag(help: "Print one view and exit.")
    var once = false
    @Flag(help: "With --once: JSON instead of a table.")
    var json = false
    @Option(help: "Refresh interval in milliseconds.")
    var intervalMs = 1_000

    func validate() throws {
        if json && !once { throw ValidationError("--json goes with --once") }
        guard intervalMs >= 100 else { throw ValidationError("--interval-ms must be at least 100") }
    }

    func run() throws {
        let client = try AdminClient(context: ZMQContext(), endpoint: Endpoint.normalize(admin))
        var previous: (status: GatewayStatus, at: Date)?
        while true {
            let status: GatewayStatus
            switch try client.status() {
            case .success(let answered): status = answered
            case .failure(let error):
                print("error: the gateway refused: \(error)")
                throw ExitCode(1)
            }
            let now = Date()
            if json {
                print(StatusView.json(status, admin: admin))
                return
            }
            let view = StatusView(status: status, previous: previous.map { ($0.status, now.timeIntervalSince($0.at)) }, admin: admin)
            if once {
                print(view.text())
                return
            }
            // Home the cursor and clear the screen, then draw.
            print("\u{1B}[H\u{1B}[2J" + view.text(), terminator: "\n")
            previous = (status, now)
            usleep(useconds_t(intervalMs * 1_000))
        }
    }
}

/// One screen of `recctl status`.
struct StatusView {
    let status: GatewayStatus
    /// The previous status and the seconds since, for per-replica rates.
    let previous: (status: GatewayStatus, seconds: Double)?
    let admin: String

    func text() -> String {
        var lines: [String] = []
        let split = status.split.isEmpty ? "none (encoders' active version)" : VersionShare.describe(status.split)
        lines.append(
            "RecServe gateway \(admin) · up \(Self.duration(status.uptimeSeconds)) · \(status.pendingRequests) pending · \(status.requestsTotal) answered · split \(split)"
        )
        // A gateway up for less than the window has answered over its uptime only.
        let window = min(status.windowSeconds, max(status.uptimeSeconds, 1))
        if let all = status.window.first {
            lines.append(
                String(
                    format: "last %.0f s: %llu requests, %.1f QPS, %llu failed (%.1f%%), p50 %.1f ms, p99 %.1f ms", window, all.requests,
                    Double(all.requests) / window, all.failures, Self.percent(all.failures, all.requests), Double(all.p50Micros) / 1e3,
                    Double(all.p99Micros) / 1e3))
        }
        lines.append("")
        var versions = [["version", "split %", "requests", "QPS", "traffic %", "failed %", "p50 ms", "p99 ms"]]
        let total = status.window.first?.requests ?? 0
        for stats in status.window.dropFirst() {
            let share = status.split.first { $0.version == stats.modelVersion }.map { "\($0.percent)" } ?? "-"
            versions.append([
                stats.modelVersion.isEmpty ? "(failed before a version)" : stats.modelVersion, share, "\(stats.requests)",
                String(format: "%.1f", Double(stats.requests) / window), String(format: "%.1f", Self.percent(stats.requests, total)),
                String(format: "%.1f", Self.percent(stats.failures, stats.requests)), String(format: "%.1f", Double(stats.p50Micros) / 1e3),
                String(format: "%.1f", Double(stats.p99Micros) / 1e3),
            ])
        }
        lines += Self.table(versions)
        lines.append("")
        var replicas = [
            ["service", "replica", "threads", "busy", "at replica", "req/s", "requests", "failed %", "cache hit %", "versions"]
        ]
        for replica in status.replicas {
            var rate: String?
            if let now = replica.status?.requests, let previous,
                let then = previous.status.replicas.first(where: { $0.id == replica.id })?.status?.requests
            {
                rate = String(format: "%.1f", Double(now &- then) / max(previous.seconds, 1e-3))
            }
            replicas.append(Self.replicaRow(replica, rate: rate))
        }
        lines += Self.table(replicas)
        return lines.joined(separator: "\n")
    }

    static func replicaRow(_ replica: ReplicaInfo, rate: String?) -> [String] {
        let identity = [replica.service, String(replica.id.suffix(8)), "\(replica.credits)"]
        guard let reported = replica.status else {
            return identity + ["-", "\(replica.outstanding)", "-", "-", "-", "-", "(no status yet)"]
        }
        let failed = String(format: "%.1f", percent(reported.failures, reported.requests))
        let hits = String(format: "%.1f", percent(reported.cacheHits, reported.cacheHits + reported.cacheMisses))
        let counts = ["\(reported.busy)", "\(replica.outstanding)", rate ?? "-", "\(reported.requests)", failed, hits]
        return identity + counts + [reported.versions.joined(separator: ",")]
    }

    static func json(_ status: GatewayStatus, admin: String) -> String {
        let object: [String: Any] = [
            "admin": admin, "uptime_seconds": status.uptimeSeconds, "pending_requests": status.pendingRequests,
            "requests_total": status.requestsTotal, "window_seconds": status.windowSeconds,
            "split": status.split.map { ["version": $0.version, "percent": $0.percent] },
            "window": status.window.map {
                [
                    "model_version": $0.modelVersion, "requests": $0.requests, "failures": $0.failures, "p50_us": $0.p50Micros,
                    "p99_us": $0.p99Micros,
                ] as [String: Any]
            },
            "replicas": status.replicas.map { replica -> [String: Any] in
                var entry: [String: Any] = [
                    "service": replica.service, "id": replica.id, "credits": replica.credits, "outstanding": replica.outstanding,
                ]
                if let reported = replica.status {
                    entry["versions"] = reported.versions
                    entry["requests"] = reported.requests
                    entry["failures"] = reported.failures
                    entry["cache_hits"] = reported.cacheHits
                    entry["cache_misses"] = reported.cacheMisses
                    entry["busy"] = reported.busy
                }
                return entry
            },
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func percent(_ part: UInt64, _ whole: UInt64) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) * 100 }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds)
        return whole >= 3_600 ? "\(whole / 3_600)h\(whole % 3_600 / 60)m" : whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
    }
}
