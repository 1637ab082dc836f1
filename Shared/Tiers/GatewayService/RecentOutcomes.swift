import Clocks
import Wire

/// What the gateway answered over the last few seconds, per model version: counts, failures and
/// latencies, for `recctl status` (Prometheus histograms serve dashboards; this serves a terminal).
///
/// One bucket per second; each keeps at most `samplesPerBucket` latencies, so memory stays bounded
/// at any rate. Owned by the gateway's loop thread.
struct RecentOutcomes {
    struct Bucket {
        var second: Int64
        var requests: [String: UInt64] = [:]
        var failures: [String: UInt64] = [:]
        var latencies: [String: [UInt32]] = [:]
    }

    let seconds: Int
    let samplesPerBucket: Int
    private var buckets: [Bucket] = []
    private(set) var total: UInt64 = 0

    init(seconds: Int = 10, samplesPerBucket: Int = 2_000) {
        self.seconds = seconds
        self.samplesPerBucket = samplesPerBucket
    }

    mutating func record(_ outcome: RequestOutcome, now: Instant) {
        total += 1
        let second = now.nanoseconds / 1_000_000_000
        if buckets.last?.second != second {
            buckets.append(Bucket(second: second))
            buckets.removeAll { $0.second <= second - Int64(seconds) }
        }
        let version = outcome.modelVersion
        let failed = outcome.code != "OK" && outcome.code != "DEGRADED"
        buckets[buckets.count - 1].requests[version, default: 0] += 1
        if failed { buckets[buckets.count - 1].failures[version, default: 0] += 1 }
        if !failed, let total = outcome.timings.first(where: { $0.tier == "gateway_total" }),
            buckets[buckets.count - 1].latencies[version, default: []].count < samplesPerBucket
        {
            buckets[buckets.count - 1].latencies[version, default: []].append(total.micros)
        }
    }

    /// All versions together ("*") first, then each version, over the buckets still in the window.
    func stats(now: Instant) -> [WindowStats] {
        let current = now.nanoseconds / 1_000_000_000
        let recent = buckets.filter { $0.second > current - Int64(seconds) }
        let versions = Set(recent.flatMap { $0.requests.keys }).sorted()
        func window(_ label: String, _ matches: (String) -> Bool) -> WindowStats {
            var (requests, failures, latencies) = (UInt64(0), UInt64(0), [UInt32]())
            for bucket in recent {
                for (version, count) in bucket.requests where matches(version) { requests += count }
                for (version, count) in bucket.failures where matches(version) { failures += count }
                for (version, values) in bucket.latencies where matches(version) { latencies += values }
            }
            latencies.sort()
            let percentile = { (p: Double) -> UInt32 in
                latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            }
            return WindowStats(
                modelVersion: label, requests: requests, failures: failures, p50Micros: percentile(0.5), p99Micros: percentile(0.99))
        }
        return [window("*", { _ in true })] + versions.map { version in window(version, { $0 == version }) }
    }
}
