import ArgumentParser
import Clients
import Foundation
import Model
import ServiceRuntime
import Wire
import ZeroMQ

/// Closed-loop gradient pushes against an embedding-server's push endpoint: what durability costs
/// a trainer (compare servers started with and without --state-dir; scripts/bench-durability.sh).
struct BenchPush: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-push",
        abstract: "Time acknowledged gradient pushes to an embedding-server's push endpoint.",
        discussion: "Each client sends one push of --rows random rows at a time and waits for its acknowledgement.")

    @Option(help: "The embedding-server's push endpoint.")
    var push = DefaultEndpoints.push()
    @Option(help: "Items in the server's table (ids pushed are drawn below this).")
    var items = 1_682
    @Option(help: "Row width of the server's table.")
    var dim = 64
    @Option(help: "Rows per push.")
    var rows = 256
    @Option(help: "Pushes per client.")
    var pushes = 500
    @Option(help: "Clients pushing at once (threads, each with its own socket).")
    var concurrency = 1
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func run() throws {
        let (push, items, dim, rows, pushes) = (self.push, self.items, self.dim, self.rows, self.pushes)
        let latencies = LatencyLog()
        let started = DispatchTime.now().uptimeNanoseconds
        let threads = (0..<concurrency).map { index in
            Thread {
                guard let client = try? PushClient(context: ZMQContext(), endpoints: [push]) else { return latencies.fail() }
                var rng = SeededRandom(seed: UInt64(index + 1))
                for _ in 0..<pushes {
                    var batch: [Int64: [Float]] = [:]
                    while batch.count < min(rows, items) {
                        batch[Int64.random(in: 0..<Int64(items), using: &rng)] = (0..<dim).map { _ in
                            Float.random(in: -1e-3...1e-3, using: &rng)
                        }
                    }
                    var outcome: Result<Int, ServiceError>?
                    let micros = Stopwatch.micros { outcome = client.push(batch) }
                    if case .success = outcome { latencies.record(micros) } else { latencies.fail() }
                }
            }
        }
        threads.forEach { $0.start() }
        while threads.contains(where: { !$0.isFinished }) { usleep(2_000) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let (samples, failed) = latencies.snapshot
        let summary = SampleSummary(samples)
        let rate = Double(samples.count) / seconds
        if json {
            let object: [String: Any] = [
                "workload": "\(rows) rows x d \(dim) per push, concurrency \(concurrency)", "machine": MachineInfo.describe(),
                "acknowledged": samples.count, "failed": failed, "pushes_per_s": rate,
                "latency_us": ["p50": summary.median, "p90": summary.percentile(90), "p99": summary.percentile(99)],
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("workload: \(rows) rows x d \(dim) per push, \(pushes) pushes per client, concurrency \(concurrency)")
            print("machine:  \(MachineInfo.describe())")
            print(String(format: "pushes: %d acknowledged, %d failed in %.1f s → %.0f pushes/s", samples.count, failed, seconds, rate))
            print(
                String(format: "latency µs: p50 %.0f  p90 %.0f  p99 %.0f", summary.median, summary.percentile(90), summary.percentile(99)))
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

/// Push latencies from several client threads.
final class LatencyLog: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Double] = []
    private var failed = 0

    func record(_ micros: Double) { lock.withLock { samples.append(micros) } }
    func fail() { lock.withLock { failed += 1 } }
    var snapshot: (samples: [Double], failed: Int) { lock.withLock { (samples, failed) } }
}
