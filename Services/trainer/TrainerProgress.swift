import Foundation
import Model
import TrainerService

/// The trainer's progress lines: text for people, or one JSON object per line for scripts
/// (`--json`), so no script scrapes the text.
struct TrainerProgress {
    let json: Bool
    let dim: Int
    let output: String
    let worker: Int
    /// The validation score's name: "NDCG@10" for the model, "recall@50" for the generator.
    let validation: String
    let metrics: TrainerMetrics

    func started(config: String, workers: Int, slipstream: Bool) {
        if json {
            emit(["event": "start", "config": config, "worker": worker, "workers": workers, "slipstream": slipstream])
        } else {
            print("training \(config) as worker \(worker)/\(workers)" + (slipstream ? " with Slipstream" : ""))
            print("kernels: \(CPU.current.kernelChoice)")
        }
    }

    func epoch(_ r: EpochReport) {
        metrics.record(r)
        if json { return emit(["event": "epoch", "report": r]) }
        let validation =
            r.validationNDCG.map {
                String(format: "  valid NDCG@10 %.4f HR@10 %.4f", $0, r.validationHR ?? 0)
                    + (r.averagedEpochs.map { " (mean of the last \($0) epochs' models)" } ?? "")
            }
            ?? r.validationRecall.map { String(format: "  valid \(self.validation) %.4f", $0) } ?? ""
        print(
            String(
                format:
                    "epoch %2d  loss %.4f  %5d samples  %.1f s (training %.1f s, %.0f examples/s)  rows pulled %d pushed %d skipped %d  inputs skipped %d",
                r.epoch, r.loss, r.samples, r.seconds, r.trainingSeconds, r.examplesPerSecond, r.traffic.rowsPulled, r.traffic.rowsPushed,
                r.traffic.rowsSkipped, r.traffic.samplesSkipped) + validation)
    }

    func finished(_ reports: [EpochReport], seconds: Double) {
        let total = reports.map(\.traffic).reduce(TrafficCounters(), +)
        let savedBytes = total.rowsSkipped * TrafficCounters.rowCost(dim: dim)
        let best = reports.filter { $0.validationScore != nil }.max { $0.validationScore! < $1.validationScore! }
        let samples = reports.reduce(0) { $0 + $1.samples }
        let trainingSeconds = reports.reduce(0) { $0 + $1.trainingSeconds }
        if json {
            var summary: [String: any Encodable] = [
                "event": "done", "traffic": total, "skippedRowBytes": savedBytes, "seconds": seconds, "epochs": reports.count,
                "examplesPerSecond": trainingSeconds > 0 ? Double(samples) / trainingSeconds : 0,
            ]
            if let best {
                summary.merge([
                    "bestEpoch": best.epoch, "bestValidation": best.validationScore!, "validation": validation, "output": output,
                ]) { $1 }
                if let ndcg = best.validationNDCG { summary["bestValidationNDCG"] = ndcg }
            }
            return emit(summary)
        }
        print(
            String(
                format:
                    "traffic: %d rows pulled, %d pushed, %.1f MB of rows, %.1f MB dense; Slipstream skipped %d row transfers (%.1f MB) and %d inputs; %.1f s in all, %.0f examples/s",
                total.rowsPulled, total.rowsPushed, Double(total.rowBytes) / 1e6, Double(total.denseBytes) / 1e6, total.rowsSkipped,
                Double(savedBytes) / 1e6, total.samplesSkipped, seconds, trainingSeconds > 0 ? Double(samples) / trainingSeconds : 0))
        if let best {
            print(String(format: "best epoch %d (valid \(validation) %.4f); wrote %@", best.epoch, best.validationScore!, output))
        } else {
            print("worker \(worker) done; worker 0 validates and exports")
        }
    }

    private func emit(_ fields: [String: any Encodable]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let parts = fields.sorted { $0.key < $1.key }.compactMap { key, value -> String? in
            guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return nil }
            return "\"\(key)\":\(text)"
        }
        print("{" + parts.joined(separator: ",") + "}")
    }
}
