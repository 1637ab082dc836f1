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
    @Option(
        help: ArgumentHelp(
            "Item table: f32, or qr (quotient-remainder components, trained as such by the trainer through the parameter server).",
            valueName: "f32|qr"))
    var table = "f32"
    @Option(help: "With --table qr: the divider D (item i is quotient[i / D] ⊙ remainder[i % D]; ceil(items / D) + D rows).")
    var qrDivider = QuotientRemainder.defaultDivider

    func validate() throws {
        guard table == "f32" || table == "qr" else { throw ValidationError("--table is f32 or qr, not \(table)") }
        guard qrDivider >= 1 && qrDivider <= items else { throw ValidationError("--qr-divider must be in 1...--items, got \(qrDivider)") }
    }

    func run() throws {
        let config = ModelConfig(
            itemCount: items, dim: dim, heads: heads, layers: layers, maxHistory: maxHistory,
            version: version ?? "random-\(seed)")
        try config.validate()
        let model = try ModelFile.random(config: config, seed: seed)
        guard table == "qr" else {
            try model.save(path: output)
            return print("wrote \(output): \(config)")
        }
        let components = QuotientRemainder.random(items: items, dim: dim, divider: qrDivider, seed: seed &+ 7)
        try ModelFile.save(path: output, config: config, dense: model.dense, table: CompressedTable(components))
        let rows = components.quotient.rows + components.remainder.rows
        print(
            "wrote \(output): \(config), QR table: \(components.quotient.rows) quotient + \(qrDivider) remainder rows for \(items) items (\(String(format: "%.3f", Double(rows) / Double(items)))x of f32)"
        )
    }
}
