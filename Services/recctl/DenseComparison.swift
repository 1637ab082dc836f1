import ArgumentParser
import Foundation
import Model
import Ranking

/// `recctl bench-model --compare-dense`: the f32 and int8 dense paths on the same requests,
/// alternating rounds in one process (the machine is shared and noisy), with the int8 path's
/// distance from f32 (logits and top k).
struct DenseComparison {
    let file: ModelFile
    let path: KernelPath
    let microBatch: Int
    let workload: WorkloadOptions
    let rounds = 9
    let requestsPerRound = 30

    func run() throws {
        guard CPU.current.hasInt8DotProduct else {
            throw ValidationError(DenseMode.available(.int8).note!)
        }
        let models = DenseMode.allCases.map {
            LocalRecommender(
                model: SequenceModel(file: file, microBatch: microBatch, kernelPath: path, dense: $0), itemTable: file.itemTable!)
        }
        var source = RequestSource(options: workload, itemCount: file.config.itemCount)
        let requests = (0..<requestsPerRound).map { source.next(user: "dense-\($0)") }
        let workspace = Workspace()
        let k = Int(workload.k)
        // Distance from f32: relative logit error, and how much of f32's top k int8 keeps.
        var worst = 0.0
        var overlap = 0.0
        for request in requests {
            let logits = models.map { model in
                model.logits(
                    history: model.encode(history: request.history, workspace: workspace), candidates: request.candidates,
                    workspace: workspace)
            }
            let scale = Double(logits[0].map(abs).max() ?? 1)
            worst = max(worst, zip(logits[0], logits[1]).map { Double(abs($0 - $1)) / max(scale, 1e-12) }.max() ?? 0)
            let tops = logits.map { l in Set(TopK.select(count: l.count, k: k, id: { request.candidates[$0] }, score: { l[$0] }).map(\.id))
            }
            overlap += Double(tops[0].intersection(tops[1]).count) / Double(max(tops[0].count, 1))
        }
        var medians: [[Double]] = [[], []]
        for _ in 0..<rounds {
            for (index, model) in models.enumerated() {
                let times = requests.map { request in
                    Stopwatch.micros {
                        _ = model.recommend(history: request.history, candidates: request.candidates, k: k, workspace: workspace)
                    }
                }
                medians[index].append(SampleSummary(times).median)
            }
        }
        let ratios = zip(medians[0], medians[1]).map { $0 / $1 }
        print("workload: \(workload.description); model \(file.config)")
        print("machine:  \(MachineInfo.describe(path: path))")
        print("\(rounds) alternating rounds of \(requestsPerRound) requests, p50 per round (µs):")
        print("  f32:  " + medians[0].map { String(format: "%.0f", $0) }.joined(separator: " "))
        print("  int8: " + medians[1].map { String(format: "%.0f", $0) }.joined(separator: " "))
        print(
            String(
                format:
                    "int8 dense layers: median round p50 %.0f µs against f32's %.0f µs; f32/int8 %.2fx (median of the paired rounds' ratios)",
                SampleSummary(medians[1]).median, SampleSummary(medians[0]).median, SampleSummary(ratios).median))
        print(
            String(
                format: "int8 against f32: worst logit error %.2e of the request's largest |logit|; top %d overlap %.3f", worst, k,
                overlap / Double(requests.count)))
    }
}
