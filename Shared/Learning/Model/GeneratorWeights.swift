/// The generator's weights (generative retrieval): a small decoder over the code tokens
/// `[BOS, c1 … c(L-1)]` whose blocks have the scorer's block structure, each attending to its
/// earlier code tokens and to the history keys and values of the encoder's layer of the same index;
/// then one output layer per level over that level's codes. Stored as `generator.*` tensors.
public struct GeneratorWeights: Sendable {
    public let levels: Int
    public let codes: Int
    public var bos: Tensor  // [d]
    public var steps: Tensor  // [levels, d]: added to the token of each step
    public var codeEmbeddings: [Tensor]  // levels - 1 of [codes, d]: the inputs c1 … c(L-1)
    public var layers: [LayerWeights]
    public var finalNormWeight, finalNormBias: Tensor  // [d]
    public var outputs: [Tensor]  // levels of [d, codes]
    public var outputBiases: [Tensor]  // levels of [codes]

    public static let prefix = "generator."

    public static func layout(_ c: ModelConfig, levels: Int, codes: Int) -> [(name: String, shape: [Int])] {
        let d = c.dim
        var entries: [(name: String, shape: [Int])] = [(prefix + "bos", [d]), (prefix + "steps", [levels, d])]
        entries += (0..<(levels - 1)).map { (prefix + "code_embedding.\($0)", [codes, d]) }
        for layer in 0..<c.layers { entries += LayerWeights.layout(c, layer: layer, prefix: prefix) }
        entries += [(prefix + "final_norm.weight", [d]), (prefix + "final_norm.bias", [d])]
        for level in 0..<levels {
            entries += [(prefix + "output.\(level).weight", [d, codes]), (prefix + "output.\(level).bias", [codes])]
        }
        return entries
    }

    /// Builds from tensors in `layout` order.
    public init(config c: ModelConfig, levels: Int, codes: Int, tensors t: [Tensor]) {
        precondition(t.count == Self.layout(c, levels: levels, codes: codes).count)
        (self.levels, self.codes) = (levels, codes)
        (bos, steps) = (t[0], t[1])
        var at = 2
        codeEmbeddings = Array(t[at..<(at + levels - 1)])
        at += levels - 1
        layers = (0..<c.layers).map { layer in
            LayerWeights(Array(t[(at + LayerWeights.tensorCount * layer)..<(at + LayerWeights.tensorCount * (layer + 1))]))
        }
        at += LayerWeights.tensorCount * c.layers
        (finalNormWeight, finalNormBias) = (t[at], t[at + 1])
        at += 2
        outputs = (0..<levels).map { t[at + 2 * $0] }
        outputBiases = (0..<levels).map { t[at + 2 * $0 + 1] }
    }

    /// Every tensor in `layout` order.
    public var all: [Tensor] {
        [bos, steps] + codeEmbeddings + layers.flatMap(\.all) + [finalNormWeight, finalNormBias]
            + zip(outputs, outputBiases).flatMap { [$0, $1] }
    }

    /// Seeded random weights (fan-in scaled; norms near 1), the generator's starting point.
    public static func random(config: ModelConfig, levels: Int, codes: Int, seed: UInt64) -> GeneratorWeights {
        var rng = SeededRandom(seed: seed)
        let tensors = layout(config, levels: levels, codes: codes).map { Tensor.random(shape: $0.shape, name: $0.name, using: &rng) }
        return GeneratorWeights(config: config, levels: levels, codes: codes, tensors: tensors)
    }
}
