import Telemetry
import TestSupport
import Testing
import TrainerService

/// The trainer's gauges pass Prometheus' checker and show the last epoch.
@Suite struct TrainerMetricsTests {
    @Test func epochGaugesPassPromtool() throws {
        let telemetry = Telemetry()
        let metrics = TrainerMetrics(telemetry: telemetry)
        metrics.record(EpochReport(epoch: 1, loss: 0.9, samples: 1_000, seconds: 2.5, trainingSeconds: 2, validationNDCG: 0.05))
        metrics.record(EpochReport(epoch: 2, loss: 0.7, samples: 1_200, seconds: 2.5, trainingSeconds: 2))
        let text = String(decoding: telemetry.exposition(), as: UTF8.self)
        #expect(text.contains("recserve_trainer_epoch 2.0"))
        #expect(text.contains("recserve_trainer_examples_total 2200"))
        #expect(text.contains("recserve_trainer_examples_per_second 600.0"))
        #expect(text.contains("recserve_trainer_validation_ndcg 0.05"))
        let problems = try Promtool.problems(in: text)
        #expect(problems == nil, "\(problems ?? "")")
    }

    @Test func metricsOffRecordNothing() {
        let metrics = TrainerMetrics(telemetry: .off)
        metrics.record(EpochReport(epoch: 1, loss: 0.9, samples: 1_000, seconds: 2.5, trainingSeconds: 2))
        #expect(Telemetry.off.exposition().isEmpty)
    }
}
