/// A model on disk: config in the safetensors metadata, dense weights and the item table as tensors.
public struct ModelFile: Sendable {
    public var config: ModelConfig
    public var dense: DenseWeights
    /// `[itemCount, dim]`; nil when loaded by a tier that gets rows from the embedding-server.
    public var itemTable: Tensor?

    public init(config: ModelConfig, dense: DenseWeights, itemTable: Tensor?) {
        self.config = config
        self.dense = dense
        self.itemTable = itemTable
    }

    public static let itemTableName = "item_embedding"

    /// Loads the dense weights, and the item table only when asked (it can be gigabytes); a
    /// compressed table is widened to f32 (the embedding-server uses `loadTable` instead).
    public static func load(path: String, itemTable: Bool = false, dense: Bool = true) throws(ModelError) -> ModelFile {
        let reader = try Safetensors.Reader(path: path)
        let config = try ModelConfig(metadata: reader.metadata, path: path)
        let format = try tableFormat(reader.metadata, path: path)
        var tensors: [Tensor] = []
        for entry in DenseWeights.layout(config) where dense {
            tensors.append(try reader.tensor(entry.name, shape: entry.shape))
        }
        var table: Tensor?
        if itemTable {
            table =
                format == .f32
                ? try reader.tensor(itemTableName, shape: [config.itemCount, config.dim]) : try loadTable(path: path).table.dequantized()
        }
        let weights = dense ? DenseWeights(config: config, tensors: tensors) : DenseWeights.empty(config)
        return ModelFile(config: config, dense: weights, itemTable: table)
    }

    public func save(path: String) throws(ModelError) {
        guard let itemTable else { throw ModelError(.invalidConfig, "\(path): cannot save a model without its item table") }
        let names = DenseWeights.layout(config).map(\.name)
        let tensors = [(name: Self.itemTableName, tensor: itemTable)] + zip(names, dense.all).map { (name: $0, tensor: $1) }
        try Safetensors.write(path: path, tensors: tensors, metadata: config.metadata)
    }
}

extension DenseWeights {
    /// Zero-sized placeholders, for the embedding-server, which needs only the item table.
    static func empty(_ config: ModelConfig) -> DenseWeights {
        DenseWeights(config: config, tensors: layout(config).map { _ in Tensor(shape: [0]) })
    }
}
