import ArgumentParser
import Model

struct InitModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-model",
        abstract: "Write a model file with seeded random weights (for tests and benchmarks until a trained model exists).")

    @Option(name: .shortAndLong, help: "Where to write the safetensors file.")
    var output: String
    @Option(help: "Number of items (ids 0..<items).")
    var items = 1_682
    @Option(help: "Model width d.")
    var dim = 64
    @Option(help: "Transformer blocks.")
    var layers = 2
    @Option(help: "Attention heads (must divide --dim).")
    var heads = 2
    @Option(help: "Longest history kept (L_max).")
    var maxHistory = 200
    @Option(help: "Random seed; the same seed gives the same weights.")
    var seed: UInt64 = 1
    @Option(help: "Version string carried in replies (default: random-<seed>).")
    var version: String?

    func run() throws {
        let config = ModelConfig(
            itemCount: items, dim: dim, heads: heads, layers: layers, maxHistory: maxHistory,
            version: version ?? "random-\(seed)")
        try config.validate()
        let model = try ModelFile.random(config: config, seed: seed)
        try model.save(path: output)
        print("wrote \(output): \(config)")
    }
}
