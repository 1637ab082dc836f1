import Foundation

/// Formats a load run for people (text) and for scripts (`--json`).
struct BenchReport {
    let workload: WorkloadOptions
    let concurrency: Int
    let result: LoadResult
    let baselineMicros: Double?

    private func p(_ percentile: Double) -> UInt64 { result.latency.valueAtPercentile(percentile) }
    private var qps: Double { Double(result.succeeded) / max(result.elapsedSeconds, 1e-9) }

    func text() -> String {
        var lines = [
            "workload: \(workload.description); concurrency \(concurrency)",
            "machine:  \(MachineInfo.describe())",
            String(
                format: "requests: %d ok, %d failed in %.1f s  →  %.1f QPS", result.succeeded, result.failed, result.elapsedSeconds, qps),
            "latency µs: p50 \(p(50))  p90 \(p(90))  p99 \(p(99))  p99.9 \(p(99.9))  max \(result.latency.max)",
        ]
        for (index, histogram) in result.intervals.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "  interval \(index): n \(histogram.totalCount)  p50 \(histogram.valueAtPercentile(50))  p99 \(histogram.valueAtPercentile(99))"
            )
        }
        if !result.tiers.isEmpty {
            lines.append(
                "tiers p50 µs: "
                    + result.tiers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.valueAtPercentile(50))" }.joined(separator: " "))
        }
        if result.degraded > 0 {
            lines.append("degraded: \(result.degraded) of the ok answers were users' last good answers (gateway over capacity)")
        }
        if !result.failures.isEmpty {
            lines.append("failures: " + result.failures.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        if let baselineMicros {
            lines.append(
                String(
                    format: "in-process amortized p50 %.0f µs; gateway p50 / in-process p50 = %.2f", baselineMicros,
                    Double(p(50)) / baselineMicros))
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var summary: [String: Any] = [
            "workload": workload.description, "concurrency": concurrency, "machine": MachineInfo.describe(),
            "succeeded": result.succeeded, "degraded": result.degraded, "failed": result.failed, "failures": result.failures,
            "seconds": result.elapsedSeconds, "qps": qps,
            "latency_us": ["p50": p(50), "p90": p(90), "p99": p(99), "p999": p(99.9), "max": result.latency.max],
        ]
        summary["intervals"] = result.intervals.sorted { $0.key < $1.key }.map { index, histogram in
            [
                "interval": index, "n": Int(histogram.totalCount), "p50": histogram.valueAtPercentile(50),
                "p99": histogram.valueAtPercentile(99),
            ]
        }
        summary["tiers_p50_us"] = result.tiers.mapValues { $0.valueAtPercentile(50) }
        if let baselineMicros {
            summary["in_process_p50_us"] = baselineMicros
            summary["gateway_over_in_process"] = Double(p(50)) / baselineMicros
        }
        let data = try! JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
