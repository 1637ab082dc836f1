import ArgumentParser
import Foundation
import Model
import Ranking

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-model",
        abstract: "Time one request in-process: amortized (history once) against naive (whole transformer per candidate).")

    @Option(help: "Model file; default: a seeded random model of W1's shape (1,682 items, d 64, 2 layers, 2 heads).")
    var model: String?
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "Timed amortized requests.")
    var iterations = 50
    @Option(help: "Timed naive requests (each runs the transformer once per candidate).")
    var naiveIterations = 3
    @Option(help: "Candidates per matrix-matrix pass (the scorer's --micro-batch).")
    var microBatch = 256
    @Option(help: "Element-wise kernel path: generic, avx2 or avx512 (default: the best this CPU runs).")
    var kernels: String?
    @Option(help: "Dense layers: f32, or int8 (int8 weights and activations on the int8 GEMM; needs int8 dot-product instructions).")
    var dense = DenseMode.f32.rawValue
    @Flag(
        help:
            "Time the f32 and int8 dense paths against each other: alternating rounds in this process, medians, their ratio, and how far int8's logits and top k are from f32's."
    )
    var compareDense = false
    @Option(help: "Also write the first request's ids and amortized logits here (JSON), for parity checks of other engines.")
    var writeSample: String?
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func validate() throws {
        guard workload.generate == nil else {
            throw ValidationError("--generate is for `recctl bench` (generation runs on the generator tier)")
        }
        guard iterations >= 1, naiveIterations >= 0 else { throw ValidationError("--iterations must be >= 1 and --naive-iterations >= 0") }
        guard DenseMode(rawValue: dense) != nil else { throw ValidationError("--dense is f32 or int8, not \(dense)") }
        if let path = try kernelPath(), !CPU.current.supportedPaths.contains(path) {
            throw ValidationError("this CPU cannot run the \(path) kernels; it runs \(CPU.current.supportedPaths.map(\.name))")
        }
    }

    func kernelPath() throws -> KernelPath? {
        guard let kernels else { return nil }
        guard let path = KernelPath.allCases.first(where: { $0.name == kernels }) else {
            throw ValidationError("--kernels is one of \(KernelPath.allCases.map(\.name)), not \(kernels)")
        }
        return path
    }

    func run() throws {
        let file =
            try model.map { try ModelFile.load(path: $0, itemTable: true) }
            ?? ModelFile.random(config: ModelConfig(itemCount: 1_682, version: "random-w1"), seed: workload.seed ?? 1)
        let path = try kernelPath() ?? CPU.current.bestPath
        if compareDense { return try DenseComparison(file: file, path: path, microBatch: microBatch, workload: workload).run() }
        let (mode, note) = DenseMode.available(DenseMode(rawValue: dense)!)
        if let note { print("note: \(note)") }
        let recommender = LocalRecommender(
            model: SequenceModel(file: file, microBatch: microBatch, kernelPath: path, dense: mode), itemTable: file.itemTable!)
        var source = RequestSource(options: workload, itemCount: file.config.itemCount)
        let workspace = Workspace()
        let requests = (0..<max(iterations, naiveIterations)).map { source.next(user: "bench-\($0)") }
        for request in requests.prefix(5) {
            _ = recommender.recommend(history: request.history, candidates: request.candidates, k: Int(workload.k), workspace: workspace)
        }
        if let writeSample, let first = requests.first {
            let kv = recommender.encode(history: first.history, workspace: workspace)
            let logits = recommender.logits(history: kv, candidates: first.candidates, workspace: workspace)
            let sample: [String: Any] = [
                "items": file.config.itemCount, "history": first.history, "candidates": first.candidates, "logits": logits.map(Double.init),
            ]
            try JSONSerialization.data(withJSONObject: sample).write(to: URL(fileURLWithPath: writeSample))
        }
        var encode: [Double] = []
        var score: [Double] = []
        var total: [Double] = []
        for request in requests.prefix(iterations) {
            var kv: HistoryKV?
            let encodeTime = Stopwatch.micros { kv = recommender.encode(history: request.history, workspace: workspace) }
            let scoreTime = Stopwatch.micros {
                let logits = recommender.logits(history: kv!, candidates: request.candidates, workspace: workspace)
                _ = TopK.select(count: logits.count, k: Int(workload.k), id: { request.candidates[$0] }, score: { logits[$0] })
            }
            encode.append(encodeTime)
            score.append(scoreTime)
            total.append(encodeTime + scoreTime)
        }
        var naive: [Double] = []
        for request in requests.prefix(naiveIterations) {
            naive.append(
                Stopwatch.micros {
                    let logits = recommender.naiveLogits(history: request.history, candidates: request.candidates, workspace: workspace)
                    _ = TopK.select(count: logits.count, k: Int(workload.k), id: { request.candidates[$0] }, score: { logits[$0] })
                })
        }
        let amortized = SampleSummary(total)
        let reference = SampleSummary(naive)
        let cost = file.config.cost(historyLength: workload.historyLength, candidates: workload.candidates)
        let achieved = cost.total / amortized.median / 1e3
        let peak = MachineInfo.sgemmPeakGFLOPS()
        if json {
            // Absent figures (no naive runs) are null, never NaN, which JSON cannot hold.
            func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
            let summary: [String: Any] = [
                "workload": workload.description, "model": "\(file.config)", "machine": MachineInfo.describe(path: path),
                "kernels": path.name, "dense": mode.rawValue,
                "amortized_us": [
                    "p10": amortized.percentile(10), "p25": amortized.percentile(25), "p50": amortized.median,
                    "p75": amortized.percentile(75), "p90": amortized.percentile(90), "p99": amortized.percentile(99), "n": total.count,
                ],
                "encode_us_p50": SampleSummary(encode).median, "score_us_p50": SampleSummary(score).median,
                "naive_us": ["p50": number(reference.median), "p90": number(reference.percentile(90)), "n": naive.count],
                "naive_over_amortized": number(reference.median / amortized.median), "request_mflop": cost.total / 1e6,
                "achieved_gflops": achieved, "sgemm_peak_gflops": peak, "fraction_of_peak": achieved / peak,
            ]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("workload: \(workload.description); model \(file.config)")
        print("machine:  \(MachineInfo.describe(path: path)); dense layers \(mode.rawValue)")
        print(
            String(
                format: "amortized: p50 %9.0f µs  p90 %9.0f µs  (encode p50 %.0f µs, score+top-k p50 %.0f µs; n=%d)",
                amortized.median, amortized.percentile(90), SampleSummary(encode).median, SampleSummary(score).median, total.count))
        print(
            String(
                format: "arithmetic: %.1f MFLOP a request, %.1f GFLOP/s at p50 = %.0f%% of this core's SGEMM peak (%.1f GFLOP/s, 1024^3)",
                cost.total / 1e6, achieved, 100 * achieved / peak, peak))
        guard !naive.isEmpty else { return }
        let ratio = reference.median / amortized.median
        print(String(format: "naive:     p50 %9.0f µs  p90 %9.0f µs  (n=%d)", reference.median, reference.percentile(90), naive.count))
        print(String(format: "amortized is %.1fx faster than naive (ratio of medians)", ratio))
    }
}
