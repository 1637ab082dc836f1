/// One transformer block's weights. Linear weights are stored `[in, out]` (so `y = x · W + b`).
public struct LayerWeights: Sendable {
    public var norm1Weight, norm1Bias: Tensor
    public var query, queryBias, key, keyBias, value, valueBias, output, outputBias: Tensor
    public var norm2Weight, norm2Bias: Tensor
    public var ffn1, ffn1Bias, ffn2, ffn2Bias: Tensor

    /// File names and shapes, in file order (the order is also the reading order for random init).
    static func layout(_ c: ModelConfig, layer: Int, prefix: String = "") -> [(name: String, shape: [Int])] {
        let p = prefix + "layers.\(layer)."
        let d = c.dim
        return [
            (p + "norm1.weight", [d]), (p + "norm1.bias", [d]),
            (p + "attn.query.weight", [d, d]), (p + "attn.query.bias", [d]),
            (p + "attn.key.weight", [d, d]), (p + "attn.key.bias", [d]),
            (p + "attn.value.weight", [d, d]), (p + "attn.value.bias", [d]),
            (p + "attn.output.weight", [d, d]), (p + "attn.output.bias", [d]),
            (p + "norm2.weight", [d]), (p + "norm2.bias", [d]),
            (p + "ffn.fc1.weight", [d, c.ffnDim]), (p + "ffn.fc1.bias", [c.ffnDim]),
            (p + "ffn.fc2.weight", [c.ffnDim, d]), (p + "ffn.fc2.bias", [d]),
        ]
    }

    public static let tensorCount = 16

    init(_ t: [Tensor]) {
        precondition(t.count == Self.tensorCount)
        (norm1Weight, norm1Bias) = (t[0], t[1])
        (query, queryBias, key, keyBias) = (t[2], t[3], t[4], t[5])
        (value, valueBias, output, outputBias) = (t[6], t[7], t[8], t[9])
        (norm2Weight, norm2Bias) = (t[10], t[11])
        (ffn1, ffn1Bias, ffn2, ffn2Bias) = (t[12], t[13], t[14], t[15])
    }

    var all: [Tensor] {
        [
            norm1Weight, norm1Bias, query, queryBias, key, keyBias, value, valueBias, output, outputBias,
            norm2Weight, norm2Bias, ffn1, ffn1Bias, ffn2, ffn2Bias,
        ]
    }
}

/// Everything but the item table: what the encoder and scorer hold. Item rows live on the
/// embedding-server (the sparse/dense boundary of DESIGN.md).
public struct DenseWeights: Sendable {
    public var positions: Tensor  // [maxHistory, d]; row 0 is the most recent item
    public var candidateToken: Tensor  // [d]
    public var layers: [LayerWeights]
    public var finalNormWeight, finalNormBias: Tensor  // [d]
    public var headFC1, headFC1Bias: Tensor  // [3d, hidden], [hidden]
    public var headFC2, headFC2Bias: Tensor  // [hidden], [1]

    public static func layout(_ c: ModelConfig) -> [(name: String, shape: [Int])] {
        var entries: [(name: String, shape: [Int])] = [("position_embedding", [c.maxHistory, c.dim]), ("candidate_token", [c.dim])]
        for layer in 0..<c.layers { entries += LayerWeights.layout(c, layer: layer) }
        entries += [
            ("final_norm.weight", [c.dim]), ("final_norm.bias", [c.dim]),
            ("head.fc1.weight", [3 * c.dim, c.headHidden]), ("head.fc1.bias", [c.headHidden]),
            ("head.fc2.weight", [c.headHidden]), ("head.fc2.bias", [1]),
        ]
        return entries
    }

    /// Builds from tensors in `layout` order.
    public init(config c: ModelConfig, tensors t: [Tensor]) {
        positions = t[0]
        candidateToken = t[1]
        layers = (0..<c.layers).map { LayerWeights(Array(t[(2 + 16 * $0)..<(2 + 16 * ($0 + 1))])) }
        let rest = Array(t[(2 + 16 * c.layers)...])
        (finalNormWeight, finalNormBias) = (rest[0], rest[1])
        (headFC1, headFC1Bias, headFC2, headFC2Bias) = (rest[2], rest[3], rest[4], rest[5])
    }

    /// Every tensor with its file name, in file order (what optimizers iterate over).
    public func named(_ config: ModelConfig) -> [(name: String, tensor: Tensor)] {
        zip(Self.layout(config).map(\.name), all).map { (name: $0, tensor: $1) }
    }

    public var all: [Tensor] {
        [positions, candidateToken] + layers.flatMap(\.all)
            + [finalNormWeight, finalNormBias, headFC1, headFC1Bias, headFC2, headFC2Bias]
    }
}
