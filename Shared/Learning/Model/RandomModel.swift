extension ModelFile {
    /// A model with seeded random weights, for tests and benchmarks until a trained model exists.
    ///
    /// Scales follow the usual fan-in rule so activations stay O(1) through the layers; norms and
    /// biases get small noise too, so equivalence tests exercise every parameter.
    public static func random(config: ModelConfig, seed: UInt64) throws(ModelError) -> ModelFile {
        try config.validate()
        var rng = SeededRandom(seed: seed)
        func fill(_ shape: [Int], name: String) -> Tensor { Tensor.random(shape: shape, name: name, using: &rng) }
        let dense = DenseWeights.layout(config).map { fill($0.shape, name: $0.name) }
        let table = fill([config.itemCount, config.dim], name: itemTableName)
        return ModelFile(config: config, dense: DenseWeights(config: config, tensors: dense), itemTable: table)
    }
}

extension Tensor {
    /// A seeded random tensor scaled by what its name says it is: norm weights near 1, biases
    /// small, matrices by the fan-in rule (so activations stay O(1)), embeddings of spread 0.5.
    static func random(shape: [Int], name: String, using rng: inout SeededRandom) -> Tensor {
        let tensor = Tensor(shape: shape)
        let (mean, scale): (Float, Float)
        if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name.hasSuffix("final_norm.weight") {
            (mean, scale) = (1, 0.1)
        } else if name.hasSuffix(".bias") {
            (mean, scale) = (0, 0.05)
        } else if shape.count == 2 && !name.contains("embedding") && !name.hasSuffix("steps") {
            (mean, scale) = (0, 1 / Float(shape[0]).squareRoot())
        } else {
            (mean, scale) = (0, 0.5)
        }
        for i in 0..<tensor.count { tensor.data[i] = mean + scale * rng.normal() }
        return tensor
    }
}
