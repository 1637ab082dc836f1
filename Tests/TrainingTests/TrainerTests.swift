import Clients
import Dataset
import Evaluation
import Foundation
import Model
import ParameterServer
import ServiceRuntime
import TestSupport
import Testing
import TrainerService
import ZeroMQ

/// The trainer, against a real embedding-server on loopback, learns a pattern a random model cannot
/// know: every user walks the catalogue in steps of 7 (item i is followed by item i+7 mod 40).
@Suite(.serialized) struct TrainerTests {
    /// The data, the initial model and a running parameter server (shard 0 with the dense weights).
    final class Setup {
        let folder: URL
        let initial: ModelFile
        let initialPath: String
        let server: InProcessEmbeddingServer
        var lookup: String { server.lookupEndpoint }
        var push: String { server.pushEndpoint }

        /// `sharedDense`: which of `initial`'s dense weights the server shares with the trainers.
        init(
            initial: ModelFile = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 6),
            sharedDense: SharedDenseSeed.Part = .model, table: CompressedTable? = nil
        ) throws {
            self.initial = initial
            folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "trainer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
            var rng = SeededRandom(seed: 4)
            for user in 1...80 {
                var item = Int.random(in: 0..<40, using: &rng)
                for step in 0..<12 {
                    lines.append("\(user)\t\(item + 1)\t5\t\(1_000 + step)")
                    item = (item + 7) % 40
                }
            }
            try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("ml-100k.inter"), atomically: true, encoding: .utf8)
            initialPath = folder.appendingPathComponent("init.safetensors").path
            try initial.save(path: initialPath)
            server = try InProcessEmbeddingServer(model: initial, learningRate: 0.1, sharedDense: sharedDense, table: table)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        func configuration(worker: Int = 0, workers: Int = 1) -> TrainerConfiguration {
            var configuration = TrainerConfiguration(
                initialModel: initialPath, output: folder.appendingPathComponent("trained.safetensors").path, embeddingEndpoints: [lookup],
                pushEndpoints: [push])
            configuration.dataFolder = folder.path
            configuration.epochs = 12
            configuration.patience = 12
            configuration.samplesPerUser = 6
            configuration.batchSize = 16
            configuration.negatives = 4
            configuration.learningRate = 0.01
            (configuration.worker, configuration.workers) = (worker, workers)
            return configuration
        }

        /// Steps the server's shared Adam has taken.
        func denseSteps() throws -> UInt64 {
            let client = try PushClient(context: ZMQContext(), endpoints: [push])
            return try client.exchange([:], dense: .init(gradients: [], learningRate: 0, wantWeights: false)).get().denseStep
        }
    }

    @Test func trainingThroughTheParameterServerLearns() throws {
        let setup = try Setup()
        let configuration = setup.configuration()
        let reports = try Trainer(configuration: configuration).run { _ in }
        #expect(reports.count == 12)
        #expect(reports.last!.loss < reports.first!.loss * 0.7, "loss \(reports.map(\.loss))")
        // Random ranking of 40 items gets HR@10 about 0.25; the pattern is fully predictable.
        let best = reports.compactMap(\.validationHR).max()!
        #expect(best > 0.6, "validation HR@10 by epoch: \(reports.map(\.validationHR))")
        #expect(reports.allSatisfy { $0.traffic.rowsPushed > 0 && $0.traffic.rowsPulled == $0.traffic.rowsPushed })
        #expect(reports.allSatisfy { $0.traffic.rowsSkipped == 0 }, "Slipstream is off by default")
        // Every step went through the server's Adam: the dense weights live there.
        let steps = reports.map { ($0.samples + 15) / 16 }.reduce(0, +)
        #expect(try setup.denseSteps() == UInt64(steps))
        let exported = try ModelFile.load(path: configuration.output, itemTable: true)
        #expect(exported.config.version == "trained-1")
        #expect(exported.itemTable!.array != setup.initial.itemTable!.array)
        #expect(
            exported.dense.named(exported.config).flatMap { $0.tensor.array }
                != setup.initial.dense.named(exported.config).flatMap { $0.tensor.array })
    }

    /// Each trainer thread's reports.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var reports: [Int: [EpochReport]] = [:]
        func set(_ worker: Int, _ value: [EpochReport]) { lock.withLock { reports[worker] = value } }
        var all: [Int: [EpochReport]] { lock.withLock { reports } }
    }

    /// Two trainers at once, each with half the users, train one model: both push into the same
    /// dense Adam and rows, and the model worker 0 exports has learned the pattern.
    @Test func twoTrainersShareOneModel() throws {
        let setup = try Setup()
        let results = Results()
        let threads = (0..<2).map { worker in
            let configuration = setup.configuration(worker: worker, workers: 2)
            return Thread {
                let reports = (try? Trainer(configuration: configuration).run { _ in }) ?? []
                results.set(worker, reports)
            }
        }
        threads.forEach { $0.start() }
        while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
        let reports = results.all
        try #require(reports[0]?.count == 12 && reports[1]?.count == 12, "a trainer failed")
        let all: [EpochReport] = reports.values.flatMap { $0 }
        let steps = all.map { ($0.samples + 15) / 16 }.reduce(0, +)
        #expect(try setup.denseSteps() == UInt64(steps), "both trainers' steps went into the one dense Adam")
        #expect(reports[1]!.allSatisfy { $0.validationNDCG == nil }, "only worker 0 validates")
        let best = reports[0]!.compactMap(\.validationHR).max()!
        #expect(best > 0.6, "validation HR@10 by epoch: \(reports[0]!.map(\.validationHR))")
    }

    /// One trainer is deterministic given its seed: two runs against fresh servers export the same
    /// model, bit for bit (two trainers at once interleave their pushes, so they are not).
    @Test func oneTrainerIsDeterministicWithASeed() throws {
        func train() throws -> ModelFile {
            let setup = try Setup()
            var configuration = setup.configuration()
            (configuration.epochs, configuration.seed) = (2, 9)
            _ = try Trainer(configuration: configuration).run { _ in }
            return try ModelFile.load(path: configuration.output, itemTable: true)
        }
        let (first, second) = (try train(), try train())
        #expect(first.itemTable!.array == second.itemTable!.array)
        #expect(
            first.dense.named(first.config).flatMap { $0.tensor.array } == second.dense.named(second.config).flatMap { $0.tensor.array })
    }

    /// A QR table trains through the parameter server (the server applies the chain rule to the
    /// component rows), learns the pattern, and is exported as QR, equal to what the server holds.
    @Test func aQRTableTrainsOnTheServerAndIsExportedAsQR() throws {
        let base = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 6)
        let components = QuotientRemainder.random(items: 40, dim: 16, divider: 4, seed: 2)
        let initialRows = CompressedTable(components).dequantized().array
        let initialPath = FileManager.default.temporaryDirectory.appendingPathComponent("qr-init-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: initialPath) }
        try ModelFile.save(path: initialPath, config: base.config, dense: base.dense, table: CompressedTable(components))
        let setup = try Setup(initial: base, table: CompressedTable(components))
        var configuration = setup.configuration()
        configuration.initialModel = initialPath
        let reports = try Trainer(configuration: configuration).run { _ in }
        #expect(reports.last!.loss < reports.first!.loss * 0.8, "loss \(reports.map(\.loss))")
        let best = reports.compactMap(\.validationHR).max()!
        #expect(best > 0.5, "validation HR@10 by epoch: \(reports.map(\.validationHR))")
        let (_, exported) = try ModelFile.loadTable(path: configuration.output)
        #expect(exported.format == .qr && exported.qr!.divider == 4)
        #expect(exported.byteCount == (10 + 4) * 16 * 4, "14 component rows stand for 40 items")
        // The server trained the components in place (the table it serves is `components`'
        // products), and the export factors the pulled rows back exactly.
        let served = try EmbeddingClient(context: ZMQContext(), endpoints: [setup.lookup])
            .lookup(Array(0..<40), deadline: .after(milliseconds: 5_000)).get()
        #expect(served != initialRows, "the components moved")
        let largest = exported.dequantized().array.map(abs).max()!
        #expect(largest > 0.1 && exported.qr!.maxError <= 1e-5 * largest, "largest value \(largest), fit error \(exported.qr!.maxError)")
    }

    /// Slipstream skips stale rows' traffic and still learns.
    @Test func slipstreamSkipsStaleRowsAndStillLearns() throws {
        let setup = try Setup()
        var configuration = setup.configuration()
        var settings = SlipstreamSettings()
        (settings.threshold, settings.hotFraction, settings.periodSteps, settings.fullRefreshEpochs) = (0.2, 0.5, 5, 4)
        settings.warmupEpochs = 1
        configuration.slipstream = settings
        let reports = try Trainer(configuration: configuration).run { _ in }
        let skipped = reports.map(\.traffic.rowsSkipped).reduce(0, +)
        #expect(skipped > 0, "no row was ever stale")
        #expect(reports[0].traffic.rowsSkipped == 0, "nothing is skipped during the warm-up epoch")
        let best = reports.compactMap(\.validationHR).max()!
        #expect(best > 0.6, "validation HR@10 by epoch: \(reports.map(\.validationHR))")
    }
}

/// Checkpoint averaging: the mean is the element-wise mean, and the trainer exports exactly the
/// model it validated (the mean of the epochs so far), not a later pull.
@Suite(.serialized) struct CheckpointAverageTests {
    @Test func theMeanIsTheElementWiseMeanOfTheSnapshots() {
        let models = (1...3).map { Fixtures.randomModel(items: 12, dim: 8, heads: 2, layers: 1, maxHistory: 4, seed: UInt64($0)) }
        var average = CheckpointAverage()
        models.forEach { average.add($0) }
        let mean = average.mean(like: models[0])
        #expect(average.count == 3)
        func flat(_ model: ModelFile) -> [Float] { model.dense.all.flatMap(\.array) + model.itemTable!.array }
        let expected = zip(zip(flat(models[0]), flat(models[1])), flat(models[2])).map { ($0.0 + $0.1 + $1) / 3 }
        let largestError = zip(flat(mean), expected).map { abs($0 - $1) }.max()!
        #expect(largestError < 1e-6, "largest error \(largestError)")
    }

    @Test func theTrainerValidatesAndExportsTheMeanOfTheEpochs() throws {
        let setup = try TrainerTests.Setup()
        var configuration = setup.configuration()
        (configuration.epochs, configuration.averageFrom) = (6, 3)
        let reports = try Trainer(configuration: configuration).run { _ in }
        #expect(reports.map(\.averagedEpochs) == [nil, nil, 1, 2, 3, 4])
        let best = reports.compactMap(\.validationHR).max()!
        #expect(best > 0.6, "validation HR@10 by epoch: \(reports.map(\.validationHR))")
        // The exported file scores exactly what the best epoch's validation reported.
        let split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.load(path: setup.folder.path + "/ml-100k.inter")))
        let exported = try ModelFile.load(path: configuration.output, itemTable: true)
        let score = Evaluator.evaluate(ModelRanker(file: exported), cases: split.validation, split: split).full.ndcg
        #expect(score == reports.compactMap(\.validationNDCG).max()!)
    }
}
