import ArgumentParser
import Clients
import Foundation
import Model
import ServiceRuntime
import Wire
import ZeroMQ

/// Closed-loop lookups against an embedding-server: what a table format costs per lookup
/// (scripts/bench-compression.sh runs it against servers of each format in turn).
struct BenchLookup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-lookup",
        abstract: "Time lookups of --ids random rows from an embedding-server, one at a time.")

    @Option(help: "The embedding-server's lookup endpoint.")
    var embedding = DefaultEndpoints.embedding()
    @Option(help: "Items in the server's table (ids are drawn below this).")
    var items = 1_682
    @Option(help: "Distinct ids per lookup.")
    var ids = 1_000
    @Option(help: "Lookups to time (after 50 untimed).")
    var lookups = 500
    @Option(help: "Seed of the ids.")
    var seed: UInt64 = 1
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func run() throws {
        let client = try EmbeddingClient(context: ZMQContext(), endpoints: [Endpoint.normalize(embedding)])
        var rng = SeededRandom(seed: seed)
        var latencies: [Double] = []
        var failed = 0
        for index in 0..<(lookups + 50) {
            var chosen = Set<Int64>()
            while chosen.count < min(ids, items) { chosen.insert(Int64.random(in: 0..<Int64(items), using: &rng)) }
            let batch = Array(chosen)
            var outcome: Result<[Float], ServiceError>?
            let micros = Stopwatch.micros { outcome = client.lookup(batch, deadline: .after(milliseconds: 5_000)) }
            guard case .success = outcome else {
                failed += 1
                continue
            }
            if index >= 50 { latencies.append(micros) }
        }
        let summary = SampleSummary(latencies)
        if json {
            let object: [String: Any] = [
                "workload": "\(ids) ids per lookup of \(items)", "machine": MachineInfo.describe(), "lookups": latencies.count,
                "failed": failed, "latency_us": ["p50": summary.median, "p99": summary.percentile(99)],
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("workload: \(ids) ids per lookup of \(items) items, \(lookups) lookups")
            print("machine:  \(MachineInfo.describe())")
            print(String(format: "latency µs: p50 %.0f  p99 %.0f  (%d failed)", summary.median, summary.percentile(99), failed))
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
