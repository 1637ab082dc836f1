import Foundation
import Generative
import Model
import TestSupport
import Testing

@Suite struct SemanticIDTests {
    /// Points around `clusters` centers in `dim` dimensions, with exact duplicates mixed in so
    /// k-means must give some items the same ID.
    static func clustered(count: Int, dim: Int, clusters: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        let centers = (0..<(clusters * dim)).map { _ in random.normal() * 3 }
        var points = [Float](repeating: 0, count: count * dim)
        for point in 0..<count {
            if point % 7 == 6 {  // a copy of the previous point
                for j in 0..<dim { points[point * dim + j] = points[(point - 1) * dim + j] }
                continue
            }
            let center = Int.random(in: 0..<clusters, using: &random)
            for j in 0..<dim { points[point * dim + j] = centers[center * dim + j] + random.normal() * 0.5 }
        }
        return points
    }

    @Test func everyItemGetsItsOwnIDAndTheTrieHoldsExactlyThem() throws {
        let (count, dim) = (3_000, 8)
        let points = Self.clustered(count: count, dim: dim, clusters: 12, seed: 3)
        let outcome = try ResidualQuantizer(levels: 3, codesPerLevel: 16, seed: 9).fit(points, count: count, dim: dim)
        let ids = outcome.ids
        #expect(outcome.collisionsResolved > 0)  // the duplicates alone collide
        var keys = Set<Int>()
        for item in 0..<count {
            let code = ids.code(of: item).map(Int.init)
            let key = code.reduce(0) { $0 * 16 + $1 }
            #expect(keys.insert(key).inserted)
            #expect(ids.item(key: key) == item)
            // Every prefix of the item's code is in the trie, each next code allowed.
            var prefix = 0
            for level in 0..<3 {
                #expect(ids.allowed(level: level, prefix: prefix).contains(UInt16(code[level])))
                prefix = prefix * 16 + code[level]
            }
        }
        // And the trie allows nothing that leads to no item.
        for first in ids.allowed(level: 0, prefix: 0) {
            for second in ids.allowed(level: 1, prefix: Int(first)) {
                for third in ids.allowed(level: 2, prefix: Int(first) * 16 + Int(second)) {
                    #expect(ids.item(key: (Int(first) * 16 + Int(second)) * 16 + Int(third)) != nil)
                }
            }
        }
    }

    @Test func residualLevelsExplainMoreThanRandomCodes() throws {
        let (count, dim) = (2_000, 16)
        let points = Self.clustered(count: count, dim: dim, clusters: 20, seed: 4)
        let ids = try ResidualQuantizer(levels: 3, codesPerLevel: 32, seed: 1).fit(points, count: count, dim: dim).ids
        let report = TokenizerReport(ids: ids, vectors: points, dim: dim)
        let random = TokenizerReport(
            ids: ResidualQuantizer.randomIDs(count: count, levels: 3, codesPerLevel: 32, seed: 1), vectors: points, dim: dim)
        let losses = report.levels.map(\.reconstructionLoss)
        #expect(losses[0] < 0.2 && losses[1] < losses[0] && losses[2] < losses[1])
        for (a, b) in zip(report.levels, random.levels) { #expect(a.reconstructionLoss < b.reconstructionLoss) }
        #expect(random.levels.allSatisfy { $0.utilization == 1 && $0.normalizedEntropy > 0.95 })
    }

    @Test func theAVX512AssignmentMatchesTheGenericOne() {
        let (count, dim, k) = (1_500, 24, 67)  // 67 clusters: a partial vector at the end of each row
        let points = Self.clustered(count: count, dim: dim, clusters: 30, seed: 5)
        let centroids = Array(Self.clustered(count: k, dim: dim, clusters: 30, seed: 6))
        var results: [[Int]] = []
        for path in CPU.current.supportedPaths {
            var assignment = [Int](repeating: 0, count: count)
            var distance = [Float](repeating: 0, count: count)
            KMeans.assign(
                points, count: count, dim: dim, centroids: centroids, clusters: k, into: &assignment, distances: &distance, path: path)
            results.append(assignment)
        }
        // The reference: nearest centroid by a plain double-precision loop (ties are measure-zero here).
        let reference = (0..<count).map { point in
            (0..<k).min { a, b in
                func d(_ c: Int) -> Double {
                    (0..<dim).reduce(0.0) { $0 + pow(Double(points[point * dim + $1] - centroids[c * dim + $1]), 2) }
                }
                return d(a) < d(b)
            }!
        }
        for result in results { #expect(zip(result, reference).filter { $0 != $1 }.count <= 2) }
        #expect(results.allSatisfy { $0 == results[0] })
    }

    @Test func semanticIDsTravelWithTheModelAndBadOnesAreRefused() throws {
        let model = Fixtures.randomModel(items: 200, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 8)
        let folder = FileManager.default.temporaryDirectory.path
        let (path, withIDs, compressed) = (
            "\(folder)/sid-\(getpid()).safetensors", "\(folder)/sid2-\(getpid()).safetensors", "\(folder)/sid3-\(getpid()).safetensors"
        )
        defer { for p in [path, withIDs, compressed] { try? FileManager.default.removeItem(atPath: p) } }
        try model.save(path: path)
        #expect(try ModelFile.load(path: path, semanticIDs: true).semanticIDs == nil)
        let ids = ResidualQuantizer.randomIDs(count: 200, levels: 2, codesPerLevel: 16, seed: 2)
        try ModelFile.write(ids, from: path, to: withIDs, version: "v-sid")
        let loaded = try ModelFile.load(path: withIDs, itemTable: true, semanticIDs: true)
        #expect(loaded.semanticIDs == ids && loaded.config.version == "v-sid")
        #expect(loaded.itemTable!.array == model.itemTable!.array)
        // A compressed copy keeps them.
        let table = CompressedTable.compress(loaded.itemTable!, format: .int8Rowwise)
        try ModelFile.save(path: compressed, config: loaded.config, dense: loaded.dense, table: table, semanticIDs: loaded.semanticIDs)
        #expect(try ModelFile.load(path: compressed, semanticIDs: true).semanticIDs == ids)
        // Two items with one ID: refused, naming the tensor.
        var codes = ids.codes
        (codes[2], codes[3]) = (codes[0], codes[1])
        #expect(throws: SemanticIDs.Problem.self) { try SemanticIDs(levels: 2, codesPerLevel: 16, codes: codes) }
        #expect(throws: SemanticIDs.Problem.self) { try SemanticIDs(levels: 2, codesPerLevel: 4, codes: ids.codes) }
        let raw = Safetensors.OwnedBytes(codes)
        var reader = try Safetensors.Reader(path: withIDs)
        let dense = try ModelFile.load(path: withIDs)
        try withExtendedLifetime(raw) {
            var tensors = zip(DenseWeights.layout(dense.config).map(\.name), dense.dense.all).map {
                Safetensors.RawTensor(name: $0, dtype: .f32, shape: $1.shape, bytes: UnsafeRawBufferPointer($1.buffer))
            }
            tensors.append(
                .init(name: ModelFile.itemTableName, dtype: .f32, shape: [200, 16], bytes: UnsafeRawBufferPointer(model.itemTable!.buffer)))
            tensors.append(.init(name: ModelFile.semanticIDsName, dtype: .u16, shape: [200, 2], bytes: raw.bytes))
            try Safetensors.write(path: compressed, raw: tensors, metadata: reader.metadata)
        }
        reader = try Safetensors.Reader(path: compressed)
        #expect(reader.entries[ModelFile.semanticIDsName] != nil)
        let error = try #require(throws: ModelError.self) { try ModelFile.load(path: compressed, semanticIDs: true) }
        #expect(error.message.contains("semantic_ids") && error.message.contains("share the semantic ID"))
    }
}
