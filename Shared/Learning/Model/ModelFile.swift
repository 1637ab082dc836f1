/// A model on disk: config in the safetensors metadata, dense weights and the item table as tensors.
public struct ModelFile: Sendable {
    public var config: ModelConfig
    public var dense: DenseWeights
    /// `[itemCount, dim]`; nil when loaded by a tier that gets rows from the embedding-server.
    public var itemTable: Tensor?
    /// Every item's semantic ID, for generative retrieval; nil when the file has none or the
    /// caller did not ask for them.
    public var semanticIDs: SemanticIDs?
    /// The generator trained on those IDs, when the file has one (loaded with the IDs).
    public var generator: GeneratorWeights?

    public init(
        config: ModelConfig, dense: DenseWeights, itemTable: Tensor?, semanticIDs: SemanticIDs? = nil, generator: GeneratorWeights? = nil
    ) {
        self.config = config
        self.dense = dense
        self.itemTable = itemTable
        self.semanticIDs = semanticIDs
        self.generator = generator
    }

    public static let itemTableName = "item_embedding"

    /// Loads the dense weights, and the item table only when asked (it can be gigabytes); a
    /// compressed table is widened to f32 (the embedding-server uses `loadTable` instead). Semantic
    /// IDs are loaded (and their trie built) when asked and present.
    public static func load(
        path: String, itemTable: Bool = false, dense: Bool = true, semanticIDs: Bool = false
    ) throws(ModelError) -> ModelFile {
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
        let ids = semanticIDs ? try Self.semanticIDs(reader, config: config) : nil
        let generator = semanticIDs ? try Self.loadGenerator(reader, config: config, ids: ids) : nil
        return ModelFile(config: config, dense: weights, itemTable: table, semanticIDs: ids, generator: generator)
    }

    public func save(path: String) throws(ModelError) {
        guard let itemTable else { throw ModelError(.invalidConfig, "\(path): cannot save a model without its item table") }
        let names = DenseWeights.layout(config).map(\.name)
        let tensors = [(name: Self.itemTableName, tensor: itemTable)] + zip(names, dense.all).map { (name: $0, tensor: $1) }
        let semantic = Self.generativeTensors(semanticIDs, generator, config: config)
        let raw = tensors.map {
            Safetensors.RawTensor(name: $0.name, dtype: .f32, shape: $0.tensor.shape, bytes: UnsafeRawBufferPointer($0.tensor.buffer))
        }
        try withExtendedLifetime((tensors, semantic.owned, generator)) { () throws(ModelError) in
            try Safetensors.write(
                path: path, raw: raw + semantic.tensors, metadata: config.metadata.merging(semantic.metadata) { $1 })
        }
    }
}

extension DenseWeights {
    /// Zero-sized placeholders, for the embedding-server, which needs only the item table.
    static func empty(_ config: ModelConfig) -> DenseWeights {
        DenseWeights(config: config, tensors: layout(config).map { _ in Tensor(shape: [0]) })
    }
}
