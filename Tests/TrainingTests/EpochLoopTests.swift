import Foundation
import Testing
import TrainerService

/// The epoch loop's decisions, with validation inline and beside the next epoch: the same epochs
/// exported and the same stop, the overlapped loop one trained epoch later.
@Suite struct EpochLoopTests {
    /// Validation scores by epoch: best at 2, then two epochs without a better one.
    static let scores: [Double] = [0.1, 0.3, 0.2, 0.25, 0.4, 0.5]

    static func report(_ epoch: Int) -> EpochReport { EpochReport(epoch: epoch, loss: 1, samples: 1, seconds: 0, trainingSeconds: 0) }

    @Test func inlineValidationExportsTheBestAndStopsAfterPatience() throws {
        var exported = 0
        var validated: [Int] = []
        let reports = try EpochLoop(epochs: 6, patience: 2, isLeader: true).run(
            train: { Self.report($0) },
            validate: { report in
                validated.append(report.epoch)
                report.validationNDCG = Self.scores[report.epoch - 1]
                return report.validationNDCG!
            }, export: { exported += 1 }, progress: { _ in })
        #expect(validated == [1, 2, 3, 4])
        #expect(exported == 2)
        #expect(reports.map(\.epoch) == [1, 2, 3, 4])
    }

    @Test func overlappedValidationDecidesOneEpochLater() throws {
        var exported: [Int] = []
        var trained: [Int] = []
        let reports = try EpochLoop(epochs: 6, patience: 2, isLeader: true).runOverlapped(
            train: { epoch in
                trained.append(epoch)
                return Self.report(epoch)
            },
            take: { epoch in epoch },
            score: { epoch, report in
                report.validationNDCG = Self.scores[epoch - 1]
                return report.validationNDCG!
            }, export: { exported.append($0) }, progress: { _ in })
        #expect(exported == [1, 2], "each snapshot that scored best, as taken")
        #expect(trained == [1, 2, 3, 4, 5], "epoch 5 trained while epoch 4's validation ran out of patience")
        #expect(reports.map(\.epoch) == [1, 2, 3, 4, 5])
        #expect(reports.map(\.validationNDCG) == [0.1, 0.3, 0.2, 0.25, nil])
    }

    @Test func overlappedValidationSettlesTheLastEpoch() throws {
        var exported: [Int] = []
        let reports = try EpochLoop(epochs: 3, patience: 5, isLeader: true).runOverlapped(
            train: { Self.report($0) }, take: { $0 },
            score: { epoch, report in
                report.validationNDCG = Double(epoch)
                return Double(epoch)
            }, export: { exported.append($0) }, progress: { _ in })
        #expect(exported == [1, 2, 3])
        #expect(reports.compactMap(\.validationNDCG) == [1, 2, 3])
    }

    @Test func otherWorkersTrainEveryEpochAndNeverValidate() throws {
        let reports = try EpochLoop(epochs: 4, patience: 1, isLeader: false).runOverlapped(
            train: { Self.report($0) }, take: { $0 },
            score: { _, _ in
                Issue.record("a non-leader validated")
                return 0
            }, export: { (_: Int) in Issue.record("a non-leader exported") }, progress: { _ in })
        #expect(reports.map(\.epoch) == [1, 2, 3, 4])
    }
}
