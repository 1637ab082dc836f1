/// Semantic IDs stored with the model (so they are versioned and hot-swapped with it): tensor
/// `semantic_ids` (U16, `[items, levels]`) and metadata `semantic_id_levels`, `semantic_id_codes`;
/// with them, optionally, the generator's `generator.*` tensors (metadata `generator` = `1`).
extension ModelFile {
    public static let semanticIDsName = "semantic_ids"
    static let semanticLevelsKey = "semantic_id_levels"
    static let semanticCodesKey = "semantic_id_codes"
    static let generatorKey = "generator"

    /// Whether the file at `path` holds a trained generator (reads only its header).
    public static func hasGenerator(path: String) throws(ModelError) -> Bool {
        try Safetensors.Reader(path: path).metadata[generatorKey] == "1"
    }

    /// The file's semantic IDs, nil when it has none; malformed ones are refused naming the tensor.
    static func semanticIDs(_ reader: Safetensors.Reader, config: ModelConfig) throws(ModelError) -> SemanticIDs? {
        guard let levelsText = reader.metadata[semanticLevelsKey] else { return nil }
        guard let levels = Int(levelsText), let codes = Int(reader.metadata[semanticCodesKey] ?? "") else {
            throw ModelError(
                .corrupt, "\(reader.path): metadata '\(semanticLevelsKey)' / '\(semanticCodesKey)' must be integers")
        }
        let values = try reader.array(semanticIDsName, dtype: .u16, shape: [config.itemCount, levels], as: UInt16.self)
        do {
            return try SemanticIDs(levels: levels, codesPerLevel: codes, codes: values)
        } catch {
            throw ModelError(.corrupt, "\(reader.path): tensor '\(semanticIDsName)': \(error)")
        }
    }

    /// The generator's weights when the file has them (its shape follows the semantic IDs').
    static func loadGenerator(_ reader: Safetensors.Reader, config: ModelConfig, ids: SemanticIDs?) throws(ModelError)
        -> GeneratorWeights?
    {
        guard reader.metadata[generatorKey] == "1" else { return nil }
        guard let ids else { throw ModelError(.corrupt, "\(reader.path): a generator without semantic IDs") }
        var tensors: [Tensor] = []
        for entry in GeneratorWeights.layout(config, levels: ids.levels, codes: ids.codesPerLevel) {
            tensors.append(try reader.tensor(entry.name, shape: entry.shape))
        }
        return GeneratorWeights(config: config, levels: ids.levels, codes: ids.codesPerLevel, tensors: tensors)
    }

    /// The tensors and metadata that store `ids` and `generator` (kept alive by `owned`).
    static func generativeTensors(_ ids: SemanticIDs?, _ generator: GeneratorWeights?, config: ModelConfig) -> (
        tensors: [Safetensors.RawTensor], owned: Safetensors.OwnedBytes?, metadata: [String: String]
    ) {
        guard let ids else { return ([], nil, [:]) }
        let owned = Safetensors.OwnedBytes(ids.codes)
        var tensors: [Safetensors.RawTensor] = [
            .init(name: semanticIDsName, dtype: .u16, shape: [ids.itemCount, ids.levels], bytes: owned.bytes)
        ]
        var metadata = [semanticLevelsKey: "\(ids.levels)", semanticCodesKey: "\(ids.codesPerLevel)"]
        if let generator {
            metadata[generatorKey] = "1"
            let names = GeneratorWeights.layout(config, levels: ids.levels, codes: ids.codesPerLevel).map(\.name)
            tensors += zip(names, generator.all).map {
                Safetensors.RawTensor(name: $0, dtype: .f32, shape: $1.shape, bytes: UnsafeRawBufferPointer($1.buffer))
            }
        }
        return (tensors, owned, metadata)
    }

    /// Writes the model at `path` to `output` (which may be `path`) with `ids` (replacing any it
    /// had, and any generator: one trained on other IDs would be wrong) and `version`, keeping the
    /// table in its format and the dense weights; `generator` goes with the IDs when given.
    public static func write(
        _ ids: SemanticIDs, generator: GeneratorWeights? = nil, from path: String, to output: String, version: String
    ) throws(ModelError) {
        var (config, table) = try loadTable(path: path)
        guard ids.itemCount == config.itemCount else {
            throw ModelError(.mismatch, "\(path): \(ids.itemCount) semantic IDs for a model of \(config.itemCount) items")
        }
        let file = try load(path: path)
        config.version = version
        try save(path: output, config: config, dense: file.dense, table: table, semanticIDs: ids, generator: generator)
    }

    /// Writes the model at `path` to `output` with `generator` beside its semantic IDs, as `version`.
    public static func write(_ generator: GeneratorWeights, from path: String, to output: String, version: String) throws(ModelError) {
        var (config, table) = try loadTable(path: path)
        let file = try load(path: path, semanticIDs: true)
        guard let ids = file.semanticIDs, ids.levels == generator.levels, ids.codesPerLevel == generator.codes else {
            throw ModelError(.mismatch, "\(path): the generator needs the semantic IDs it was trained on (run recctl semantic-ids first)")
        }
        config.version = version
        try save(path: output, config: config, dense: file.dense, table: table, semanticIDs: ids, generator: generator)
    }
}
