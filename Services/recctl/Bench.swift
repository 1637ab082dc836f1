import ArgumentParser
import Clients
import Foundation
import Histogram
import Model
import ServiceRuntime
import Wire
import ZeroMQ

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Closed-loop load against the gateway: latency percentiles (HdrHistogram) and QPS.",
        discussion: """
            Each of --concurrency threads sends a request, waits for its reply, and sends the next. Every request has a \
            fresh random history and candidate list, so the encoder's cache never flatters the result. With --model, the \
            same requests are also timed in-process (amortized, one thread) and the ratio gateway p50 / in-process p50 is printed.
            """)

    @Option(help: "The gateway's client endpoint.")
    var gateway = DefaultEndpoints.gatewayClients()
    @Option(help: "Concurrent closed-loop clients.")
    var concurrency = 1
    @Option(help: "How long to run, in seconds (ignored when --requests is given).")
    var seconds = 10.0
    @Option(help: "Total requests to send instead of running for --seconds.")
    var requests: Int?
    @Option(help: "Untimed requests per client before the timed window opens (not counted in --seconds or the QPS).")
    var warmup = 20
    @Option(help: "Number of items in the served model (ids are drawn below it); read from --model when given.")
    var items = 1_682
    @Option(help: "Model file: draws ids from its item count and measures the in-process baseline.")
    var model: String?
    @Option(help: "Dense layers of the in-process baseline: f32, or int8 (match the suite's --dense).")
    var dense = DenseMode.f32.rawValue
    @Option(help: "Per-request deadline in milliseconds.")
    var deadlineMs = 2_000
    @Option(
        help:
            "Open loop at this many requests per second in total (default: closed loop). Latency then counts from each request's scheduled time, so queueing is not hidden."
    )
    var rate: Double?
    @Option(help: "Also report percentiles for every interval of this many seconds.")
    var intervalSeconds: Double?
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var curve: CurveClientOptions
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func validate() throws {
        guard DenseMode(rawValue: dense) != nil else { throw ValidationError("--dense is f32 or int8, not \(dense)") }
    }

    func run() throws {
        var workload = self.workload
        if workload.seed == nil { workload.seed = .random(in: 2...UInt64(UInt32.max)) }
        let requested = DenseMode(rawValue: dense)!
        let file = try model.map { try ModelFile.load(path: $0, itemTable: true) }
        let itemCount = file?.config.itemCount ?? items
        let result = try LoadRun(
            gateway: gateway, concurrency: concurrency, seconds: requests == nil ? seconds : nil, requests: requests,
            warmup: warmup, deadlineMs: deadlineMs, workload: workload, itemCount: itemCount, rate: rate,
            intervalSeconds: intervalSeconds, curve: try curve.load()
        ).run()
        // (No in-process baseline for generated candidates: it would need the generator in this process.)
        let baseline =
            workload.generate == nil
            ? file.map {
                InProcessBaseline.measure(file: $0, dense: DenseMode.available(requested).mode, workload: workload, iterations: 50)
            } : nil
        let report = BenchReport(
            workload: workload, concurrency: concurrency, result: result, baselineMicros: baseline)
        print(json ? report.json() : report.text())
        if result.succeeded == 0 { throw ExitCode(1) }
    }
}

/// Times the same kind of request in this process: the cost the gateway adds transport to.
enum InProcessBaseline {
    static func measure(file: ModelFile, dense: DenseMode, workload: WorkloadOptions, iterations: Int) -> Double {
        let recommender = LocalRecommender(model: SequenceModel(file: file, dense: dense), itemTable: file.itemTable!)
        var source = RequestSource(options: workload, itemCount: file.config.itemCount, stream: 999)
        let workspace = Workspace()
        var samples: [Double] = []
        for index in 0..<(iterations + 5) {
            let request = source.next(user: "baseline")
            let micros = Stopwatch.micros {
                _ = recommender.recommend(
                    history: request.history, candidates: request.candidates, k: Int(workload.k), workspace: workspace)
            }
            if index >= 5 { samples.append(micros) }
        }
        return SampleSummary(samples).median
    }
}

/// Totals of one closed-loop run.
struct LoadResult {
    var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var succeeded = 0
    /// Of the succeeded: answers an overloaded gateway gave from a user's last good answer.
    var degraded = 0
    var failures: [String: Int] = [:]
    var elapsedSeconds = 0.0
    /// Latency per reporting interval (index = interval number), when asked for.
    var intervals: [Int: Histogram<UInt64>] = [:]
    /// The tiers' own timings from the replies (encode, score, gateway_total, ...), to see where
    /// the time between the client and the in-process cost goes.
    var tiers: [String: Histogram<UInt64>] = [:]

    mutating func merge(_ other: LoadResult) {
        latency.add(other.latency)
        succeeded += other.succeeded
        degraded += other.degraded
        failures.merge(other.failures, uniquingKeysWith: +)
        for (index, histogram) in other.intervals {
            intervals[index, default: LoadResult.emptyHistogram].add(histogram)
        }
        for (tier, histogram) in other.tiers {
            tiers[tier, default: LoadResult.emptyHistogram].add(histogram)
        }
    }

    static var emptyHistogram: Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    var failed: Int { failures.values.reduce(0, +) }
}

/// Runs `concurrency` client threads against the gateway.
struct LoadRun {
    let gateway: String
    let concurrency: Int
    let seconds: Double?
    let requests: Int?
    let warmup: Int
    let deadlineMs: Int
    let workload: WorkloadOptions
    let itemCount: Int
    var rate: Double? = nil
    var intervalSeconds: Double? = nil
    var curve: CurveClientSettings? = nil

    /// Every client warms up first (untimed); the timed window opens once all have, so warm-up
    /// never counts against --seconds or the QPS.
    func run() throws -> LoadResult {
        let context = ZMQContext()
        let results = ResultBox()
        let finished = DispatchGroup()
        let warmed = DispatchGroup()
        let window = TimedWindow(clients: concurrency)
        let perClient = requests.map { ($0 + concurrency - 1) / concurrency }
        for index in 0..<concurrency {
            finished.enter()
            warmed.enter()
            let thread = Thread { [self] in
                defer { finished.leave() }
                let client = try? GatewayClient(context: context, endpoint: gateway, curve: curve)
                var source = RequestSource(options: workload, itemCount: itemCount, stream: UInt64(index))
                for _ in 0..<warmup {
                    _ = try? client?.recommend(source.next(user: "warmup-\(index)"), timeoutMilliseconds: deadlineMs)
                }
                warmed.leave()
                let stopAt = window.waitUntilOpen(seconds: seconds)
                results.add(timedLoop(index: index, client: client, source: &source, perClient: perClient, stopAt: stopAt))
            }
            thread.start()
        }
        warmed.wait()
        let started = window.open()
        finished.wait()
        var total = results.total
        total.elapsedSeconds = Date().timeIntervalSince(started)
        return total
    }

    private func timedLoop(
        index: Int, client: GatewayClient?, source: inout RequestSource, perClient: Int?, stopAt: Date?
    ) -> LoadResult {
        var result = LoadResult()
        guard let client else {
            result.failures["client setup", default: 0] += 1
            return result
        }
        var sent = 0
        let began = DispatchTime.now().uptimeNanoseconds
        // Open loop: this client's share of the rate, on a fixed schedule.
        let period = rate.map { UInt64(Double(concurrency) / $0 * 1e9) }
        while perClient.map({ sent < $0 }) ?? (Date() < stopAt!) {
            let request = source.next(user: "bench-\(index)-\(sent)")
            var start = DispatchTime.now().uptimeNanoseconds
            if let period {
                let scheduled = began + UInt64(sent) * period + UInt64(index) * period / UInt64(concurrency)
                if scheduled > start { usleep(UInt32((scheduled - start) / 1_000)) }
                start = scheduled
            }
            sent += 1
            do {
                let reply = try client.recommend(request, timeoutMilliseconds: deadlineMs)
                let micros = (DispatchTime.now().uptimeNanoseconds - start) / 1_000
                if let error = reply.error {
                    result.failures[error.code.name, default: 0] += 1
                } else {
                    result.succeeded += 1
                    if reply.degraded { result.degraded += 1 }
                    _ = result.latency.record(micros)
                    for timing in reply.timings {
                        _ = result.tiers[timing.tier, default: LoadResult.emptyHistogram].record(UInt64(timing.micros))
                    }
                    if let intervalSeconds {
                        let interval = Int(Double(start - began) / 1e9 / intervalSeconds)
                        _ = result.intervals[interval, default: LoadResult.emptyHistogram].record(micros)
                    }
                }
            } catch {
                let kind =
                    switch error.code {
                    case .timeout: "no reply (timeout)"
                    case .badReply: "unreadable reply"
                    case .transport: "socket error"
                    }
                result.failures[kind, default: 0] += 1
            }
        }
        return result
    }
}

/// The timed window all clients start together once every one has warmed up.
final class TimedWindow: @unchecked Sendable {
    private let lock = NSLock()
    private let gate = DispatchSemaphore(value: 0)
    private let clients: Int
    private var startedAt = Date()

    init(clients: Int) { self.clients = clients }

    /// Opens the window for every client; returns when it opened.
    func open() -> Date {
        let now = Date()
        lock.withLock { startedAt = now }
        for _ in 0..<clients { gate.signal() }
        return now
    }

    /// Blocks until the window opens; returns when it closes (nil when the run is by count).
    func waitUntilOpen(seconds: Double?) -> Date? {
        gate.wait()
        let started = lock.withLock { startedAt }
        return seconds.map { started.addingTimeInterval($0) }
    }
}

/// Collects per-thread results.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var merged = LoadResult()

    func add(_ result: LoadResult) { lock.withLock { merged.merge(result) } }
    var total: LoadResult { lock.withLock { merged } }
}
