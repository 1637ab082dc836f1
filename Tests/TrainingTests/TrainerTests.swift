import EmbeddingService
import Foundation
import Model
import ServiceRuntime
import TestSupport
import Testing
import TrainerService
import ZeroMQ

/// The trainer, against a real embedding-server on loopback, learns a pattern a random model cannot
/// know: every user walks the catalogue in steps of 7 (item i is followed by item i+7 mod 40).
@Suite(.serialized) struct TrainerTests {
    @Test func trainingThroughTheParameterServerLearns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
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
        let initial = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 6)
        let initialPath = folder.appendingPathComponent("init.safetensors").path
        try initial.save(path: initialPath)

        let context = ZMQContext()
        let ports = try FreePorts.take(2)
        var serverConfiguration = EmbeddingServerConfiguration(modelPath: initialPath)
        serverConfiguration.bind = "tcp://127.0.0.1:\(ports[0])"
        serverConfiguration.pushBind = "tcp://127.0.0.1:\(ports[1])"
        serverConfiguration.learningRate = 0.1
        let shard = EmbeddingShard(table: initial.itemTable!, shard: 0, shards: 1, modelVersion: initial.config.version)
        let server = EmbeddingServer(
            handler: EmbeddingRequestHandler(shard: shard, limits: Limits()), configuration: serverConfiguration,
            logger: .init(label: "test"))
        let stop = StopFlag()
        let thread = Thread { try? server.run(context: context, stop: stop) }
        thread.start()
        defer {
            stop.stop()
            while !thread.isFinished { usleep(1_000) }
        }

        var configuration = TrainerConfiguration(
            initialModel: initialPath, output: folder.appendingPathComponent("trained.safetensors").path,
            embeddingEndpoints: [serverConfiguration.bind], pushEndpoints: [serverConfiguration.pushBind!])
        configuration.dataFolder = folder.path
        configuration.epochs = 12
        configuration.patience = 12
        configuration.samplesPerUser = 6
        configuration.batchSize = 16
        configuration.negatives = 4
        configuration.learningRate = 0.01
        let reports = try Trainer(configuration: configuration).run { _ in }
        #expect(reports.count == 12)
        #expect(reports.last!.loss < reports.first!.loss * 0.7, "loss \(reports.map(\.loss))")
        // Random ranking of 40 items gets HR@10 about 0.25; the pattern is fully predictable.
        let best = reports.map(\.validationHR).max()!
        #expect(best > 0.6, "validation HR@10 by epoch: \(reports.map(\.validationHR))")
        #expect(reports.allSatisfy { $0.rowsPushed > 0 && $0.rowsPulled == $0.rowsPushed })
        let exported = try ModelFile.load(path: configuration.output, itemTable: true)
        #expect(exported.config.version == "trained-1")
        #expect(exported.itemTable!.array != initial.itemTable!.array)
    }
}
