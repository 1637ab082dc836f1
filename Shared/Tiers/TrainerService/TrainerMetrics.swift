import CoreMetrics
import Telemetry

/// The trainer's Prometheus gauges, set after every epoch (`--metrics-bind`).
public struct TrainerMetrics: Sendable {
    let epoch: Meter
    let examplesPerSecond: Meter
    let loss: Meter
    let validationNDCG: Meter
    let examples: CoreMetrics.Counter

    public init(telemetry: Telemetry) {
        epoch = telemetry.gauge("recserve_trainer_epoch", help: "The last epoch this trainer finished.")
        examplesPerSecond = telemetry.gauge(
            "recserve_trainer_examples_per_second", help: "Training examples per second of the last epoch (validation excluded).")
        loss = telemetry.gauge("recserve_trainer_loss", help: "Mean training loss of the last epoch.")
        validationNDCG = telemetry.gauge(
            "recserve_trainer_validation_ndcg", help: "Validation NDCG@10 after the last epoch (worker 0 only).")
        examples = telemetry.counter("recserve_trainer_examples_total", help: "Training examples processed.")
    }

    public func record(_ report: EpochReport) {
        epoch.set(report.epoch)
        examplesPerSecond.set(report.examplesPerSecond)
        loss.set(Double(report.loss))
        if let ndcg = report.validationNDCG { validationNDCG.set(ndcg) }
        examples.increment(by: report.samples)
    }
}
