import ArgumentParser
import Foundation
import Generative
import Model

struct SemanticIDsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semantic-ids",
        abstract: "Give every item a semantic ID by residual k-means over its embedding and store the IDs with the model.",
        discussion: """
            RQ-Kmeans as OneRec's tokenizer: k-means on the item rows, then on what each level leaves, --levels times; \
            items that share an ID are separated by nearest free code (see docs/generative.md). Prints the tokenizer \
            table (reconstruction loss, code utilization and entropy per level, collisions resolved) beside unique \
            random IDs as a baseline, then writes the model with the IDs (a new version).
            """)

    @Option(help: "Model file whose item table is quantized.")
    var model: String
    @Option(name: .shortAndLong, help: "Where to write the model with its semantic IDs (default: replace --model).")
    var output: String?
    @Option(help: "Code levels per ID.")
    var levels = 3
    @Option(help: "Codes per level (default: the power of two at least twice the items' levels-th root, 32 for 1,682 items, 256 for 1M).")
    var codes: Int?
    @Option(help: "Lloyd iterations per level.")
    var iterations = 20
    @Option(help: "Seed of the k-means++ starts and of the random baseline.")
    var seed: UInt64 = 1
    @Option(help: "rq-kmeans, or random (unique random IDs: a baseline, and for serving benchmarks of catalogs without trained rows).")
    var method = "rq-kmeans"
    @Flag(
        help:
            "Also store a seeded random generator with the IDs (the starting point of trainer --generator, and for serving benchmarks and tests)."
    )
    var randomGenerator = false
    @Option(help: "Version of the written model (default: the input's version with -sid).")
    var version: String?
    @Flag(help: "Print the table as JSON.")
    var json = false

    func validate() throws {
        guard (1...8).contains(levels) else { throw ValidationError("--levels must be 1...8, got \(levels)") }
        if let codes, !(2...65_536).contains(codes) { throw ValidationError("--codes must be 2...65536, got \(codes)") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard ["rq-kmeans", "random"].contains(method) else { throw ValidationError("--method is rq-kmeans or random, not '\(method)'") }
    }

    static func defaultCodes(items: Int, levels: Int) -> Int {
        let root = pow(Double(items), 1 / Double(levels))
        var codes = 2
        while Double(codes) < 2 * root { codes *= 2 }
        return codes
    }

    func run() throws {
        let file = try ModelFile.load(path: model, itemTable: true)
        let (items, dim) = (file.config.itemCount, file.config.dim)
        let codes = self.codes ?? Self.defaultCodes(items: items, levels: levels)
        let vectors = Array(file.itemTable!.buffer)
        let started = Date()
        let quantizer = ResidualQuantizer(levels: levels, codesPerLevel: codes, iterations: iterations, seed: seed)
        let capacity = (0..<levels).reduce(1.0) { r, _ in r * Double(codes) }
        guard Double(items) <= capacity else {
            throw ValidationError("\(items) items do not fit in \(Int(capacity)) semantic IDs; raise --levels or --codes")
        }
        let random = ResidualQuantizer.randomIDs(count: items, levels: levels, codesPerLevel: codes, seed: seed)
        let outcome: ResidualQuantizer.Outcome
        if method == "random" {
            outcome = ResidualQuantizer.Outcome(ids: random, collisionsResolved: 0, movedOutOfPrefix: 0)
        } else {
            do { outcome = try quantizer.fit(vectors, count: items, dim: dim) } catch { throw ValidationError("\(error)") }
        }
        let seconds = Date().timeIntervalSince(started)
        let rq = TokenizerReport(ids: outcome.ids, vectors: vectors, dim: dim)
        let baseline = TokenizerReport(ids: random, vectors: vectors, dim: dim)
        let version = self.version ?? "\(file.config.version)-sid"
        let output = self.output ?? model
        let generator =
            randomGenerator ? GeneratorWeights.random(config: file.config, levels: levels, codes: codes, seed: seed &+ 99) : nil
        try ModelFile.write(outcome.ids, generator: generator, from: model, to: output, version: version)
        if json {
            let level = { (r: TokenizerReport.Level) -> [String: Double] in
                [
                    "reconstruction_loss": r.reconstructionLoss, "utilization": r.utilization, "entropy_bits": r.entropyBits,
                    "normalized_entropy": r.normalizedEntropy,
                ]
            }
            let summary: [String: Any] = [
                "items": items, "levels": levels, "codes": codes, "seconds": seconds, "machine": MachineInfo.describe(),
                "collisions_resolved": outcome.collisionsResolved, "moved_out_of_prefix": outcome.movedOutOfPrefix,
                "rq_kmeans": rq.levels.map(level), "random": baseline.levels.map(level), "output": output, "version": version,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print(
            "items \(items), d \(dim); \(levels) levels x \(codes) codes; k-means (\(iterations) iterations a level) took \(String(format: "%.1f", seconds)) s"
        )
        print("machine: \(MachineInfo.describe())")
        print("level  tokenizer    reconstruction loss  utilization  entropy (bits, share of log2 K)")
        for (index, (a, b)) in zip(rq.levels, baseline.levels).enumerated() {
            for (name, r) in [("RQ-Kmeans", a), ("random", b)] {
                print(
                    String(
                        format: "%5d  %-9@  %19.4f  %11.3f  %6.2f (%.3f)", index + 1, name, r.reconstructionLoss, r.utilization,
                        r.entropyBits, r.normalizedEntropy))
            }
        }
        print(
            "collisions resolved: \(outcome.collisionsResolved) items moved to the nearest free code (\(outcome.movedOutOfPrefix) of them outside their prefix); every item has its own ID"
        )
        print("wrote \(output) (version \(version))" + (randomGenerator ? " with a random generator" : ""))
    }
}
