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
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func run() throws {
        let file =
            try model.map { try ModelFile.load(path: $0, itemTable: true) }
            ?? ModelFile.random(config: ModelConfig(itemCount: 1_682, version: "random-w1"), seed: workload.seed)
        let recommender = LocalRecommender(file: file)
        var source = RequestSource(options: workload, itemCount: file.config.itemCount)
        let workspace = Workspace()
        let requests = (0..<max(iterations, naiveIterations)).map { source.next(user: "bench-\($0)") }
        for request in requests.prefix(5) {
            _ = recommender.recommend(history: request.history, candidates: request.candidates, k: Int(workload.k), workspace: workspace)
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
        let ratio = reference.median / amortized.median
        if json {
            let summary: [String: Any] = [
                "workload": workload.description, "model": "\(file.config)", "machine": MachineInfo.describe(),
                "amortized_us": ["p50": amortized.median, "p90": amortized.percentile(90), "n": total.count],
                "encode_us_p50": SampleSummary(encode).median, "score_us_p50": SampleSummary(score).median,
                "naive_us": ["p50": reference.median, "p90": reference.percentile(90), "n": naive.count],
                "naive_over_amortized": ratio,
            ]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("workload: \(workload.description); model \(file.config)")
        print("machine:  \(MachineInfo.describe())")
        print(
            String(
                format: "amortized: p50 %9.0f µs  p90 %9.0f µs  (encode p50 %.0f µs, score+top-k p50 %.0f µs; n=%d)",
                amortized.median, amortized.percentile(90), SampleSummary(encode).median, SampleSummary(score).median, total.count))
        guard !naive.isEmpty else { return }
        print(String(format: "naive:     p50 %9.0f µs  p90 %9.0f µs  (n=%d)", reference.median, reference.percentile(90), naive.count))
        print(String(format: "amortized is %.1fx faster than naive (ratio of medians)", ratio))
    }
}
