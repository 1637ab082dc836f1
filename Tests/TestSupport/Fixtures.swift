import Model

/// Seeded models and inputs shared by the test suites.
public enum Fixtures {
    public static func randomModel(
        items: Int = 500, dim: Int = 64, heads: Int = 2, layers: Int = 2, maxHistory: Int = 200, seed: UInt64 = 7
    ) -> ModelFile {
        let config = ModelConfig(itemCount: items, dim: dim, heads: heads, layers: layers, maxHistory: maxHistory, version: "test-\(seed)")
        return try! ModelFile.random(config: config, seed: seed)
    }

    public static func randomIDs(count: Int, below itemCount: Int, seed: UInt64) -> [Int64] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Int64.random(in: 0..<Int64(itemCount), using: &rng) }
    }
}
