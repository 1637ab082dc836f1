import Foundation
import Model
import TestSupport
import Testing

@Suite struct SafetensorsTests {
    @Test func modelFileRoundTripsEveryTensorAndTheConfig() throws {
        let model = Fixtures.randomModel(items: 37, dim: 16, heads: 4, layers: 3, maxHistory: 20, seed: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path: path)
        let loaded = try ModelFile.load(path: path, itemTable: true)
        #expect(loaded.config == model.config)
        #expect(loaded.itemTable!.array == model.itemTable!.array)
        let workspace = Workspace()
        let history: [Int64] = [1, 5, 9, 36]
        let a = LocalRecommender(file: model).recommend(history: history, candidates: Array(0..<37), k: 37, workspace: workspace)
        let b = LocalRecommender(file: loaded).recommend(history: history, candidates: Array(0..<37), k: 37, workspace: workspace)
        #expect(a == b)
        // Dense-only load (what the encoder and scorer do) skips the item table.
        #expect(try ModelFile.load(path: path).itemTable == nil)
    }

    @Test func corruptFilesAreRejectedWithTheReason() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B])))
        #expect(throws: ModelError.self) { try ModelFile.load(path: path) }
        #expect(throws: ModelError.self) { try ModelFile.load(path: path + ".missing") }
    }
}
