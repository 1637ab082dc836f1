import Clients
import Dataset
import Evaluation
import Foundation
import Generative
import Model
import ParameterServer
import TestSupport
import Testing
import TrainerService
import ZeroMQ

/// The generator trained through trainer processes and the parameter server (shard 0 sharing the
/// generator's weights), on the data of `TrainerTests` (item i is followed by item i+7 mod 40).
@Suite(.serialized) struct GeneratorTrainerTests {
    /// The trainer's tiny model with hierarchical semantic IDs (3 levels of 4 codes) and a random generator.
    static let initial: ModelFile = {
        var model = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 6)
        var codes: [UInt16] = []
        for item in 0..<40 { codes += [UInt16(item / 16), UInt16(item / 4 % 4), UInt16(item % 4)] }
        model.semanticIDs = try! SemanticIDs(levels: 3, codesPerLevel: 4, codes: codes)
        model.generator = GeneratorWeights.random(config: model.config, levels: 3, codes: 4, seed: 8)
        return model
    }()

    static func configuration(_ setup: TrainerTests.Setup, worker: Int = 0, workers: Int = 1) -> TrainerConfiguration {
        var configuration = setup.configuration(worker: worker, workers: workers)
        (configuration.epochs, configuration.patience, configuration.batchSize) = (8, 8, 16)
        (configuration.learningRate, configuration.validationBeam) = (0.01, 5)
        return configuration
    }

    /// Recall@5 of the validation targets with `weights` (what worker 0 measures).
    static func recall(_ file: ModelFile, _ weights: GeneratorWeights, data: URL) throws -> Double {
        let split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.load(path: data.appendingPathComponent("ml-100k.inter").path)))
        let generator = Generator(config: file.config, weights: weights, ids: file.semanticIDs!)
        return GenerativeRanker(file: file, generator: generator, width: 5, order: .generator, name: "test").recall(split.validation)
    }

    @Test func theGeneratorLearnsThroughTheParameterServer() throws {
        let setup = try TrainerTests.Setup(initial: Self.initial, sharedDense: .generator)
        let configuration = Self.configuration(setup)
        let reports = try GeneratorTrainer(configuration: configuration).run { _ in }
        #expect(reports.count == 8)
        #expect(reports.last!.loss < reports.first!.loss * 0.8, "loss \(reports.map(\.loss))")
        #expect(reports[0].traffic.rowsPulled == 40 && reports.dropFirst().allSatisfy { $0.traffic.rowsPulled == 0 }, "rows pulled once")
        #expect(reports.allSatisfy { $0.traffic.rowsPushed == 0 }, "the rows are frozen")
        // Every step went through the server's Adam: the generator's weights live there.
        let steps = reports.map { ($0.samples + 15) / 16 }.reduce(0, +)
        #expect(try setup.denseSteps() == UInt64(steps))

        let exported = try ModelFile.load(path: configuration.output, itemTable: true, semanticIDs: true)
        #expect(exported.config.version == "\(Self.initial.config.version)-gen")
        #expect(exported.itemTable!.array == Self.initial.itemTable!.array, "rows frozen")
        #expect(
            exported.dense.all.flatMap(\.array) == Self.initial.dense.all.flatMap(\.array), "encoder frozen")
        #expect(exported.semanticIDs!.codes == Self.initial.semanticIDs!.codes)
        let before = try Self.recall(Self.initial, Self.initial.generator!, data: setup.folder)
        let after = try Self.recall(exported, exported.generator!, data: setup.folder)
        #expect(after == reports.compactMap(\.validationRecall).max()!, "the best epoch's generator is exported")
        // 5 of 40 items at random is 0.125; the next item is fully predictable from the last.
        #expect(
            after > 0.5 && after > before + 0.2, "validation recall@5 \(before) → \(after); by epoch \(reports.map(\.validationRecall))")
    }

    /// Two trainer processes' worth of workers push into the one generator on the server.
    @Test func twoTrainersShareOneGenerator() throws {
        let setup = try TrainerTests.Setup(initial: Self.initial, sharedDense: .generator)
        let results = TrainerTests.Results()
        let threads = (0..<2).map { worker in
            let configuration = Self.configuration(setup, worker: worker, workers: 2)
            return Thread { results.set(worker, (try? GeneratorTrainer(configuration: configuration).run { _ in }) ?? []) }
        }
        threads.forEach { $0.start() }
        while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
        let reports = results.all
        try #require(reports[0]?.count == 8 && reports[1]?.count == 8, "a trainer failed")
        let steps = reports.values.flatMap { $0 }.map { ($0.samples + 15) / 16 }.reduce(0, +)
        #expect(try setup.denseSteps() == UInt64(steps), "both trainers' steps went into the one Adam")
        #expect(reports[1]!.allSatisfy { $0.validationRecall == nil }, "only worker 0 validates")
        #expect(reports[0]!.compactMap(\.validationRecall).max()! > 0.5, "by epoch \(reports[0]!.map(\.validationRecall))")
    }

    /// A server sharing the model's dense weights is not one to train a generator against, and a
    /// model without a generator cannot be shared as one.
    @Test func mismatchedServersAndFilesAreRefusedWithTheReason() throws {
        let setup = try TrainerTests.Setup(initial: Self.initial, sharedDense: .model)
        #expect(throws: ModelError.self) { _ = try GeneratorTrainer(configuration: Self.configuration(setup)) }
        do {
            _ = try GeneratorTrainer(configuration: Self.configuration(setup))
        } catch {
            #expect("\(error)".contains("--shared-dense generator"), "\(error)")
        }
        let plain = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 6)
        #expect(throws: ModelError.self) { _ = try SharedDenseSeed(file: plain, part: .generator) }
        let untrained = try TrainerTests.Setup(initial: plain, sharedDense: .model)
        do {
            _ = try GeneratorTrainer(configuration: Self.configuration(untrained))
            Issue.record("a model without semantic IDs was accepted")
        } catch {
            #expect("\(error)".contains("recctl semantic-ids --random-generator"), "\(error)")
        }
    }
}
