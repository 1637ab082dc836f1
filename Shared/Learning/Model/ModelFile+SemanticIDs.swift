/// Semantic IDs stored with the model (so they are versioned and hot-swapped with it): tensor
/// `semantic_ids` (U16, `[items, levels]`) and metadata `semantic_id_levels`, `semantic_id_codes`.
extension ModelFile {
    public static let semanticIDsName = "semantic_ids"
    static let semanticLevelsKey = "semantic_id_levels"
    static let semanticCodesKey = "semantic_id_codes"

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

    /// The tensor and metadata that store `ids`.
    static func semanticTensors(_ ids: SemanticIDs?) -> (
        tensors: [Safetensors.RawTensor], owned: Safetensors.OwnedBytes?, metadata: [String: String]
    ) {
        guard let ids else { return ([], nil, [:]) }
        let owned = Safetensors.OwnedBytes(ids.codes)
        return (
            [.init(name: semanticIDsName, dtype: .u16, shape: [ids.itemCount, ids.levels], bytes: owned.bytes)], owned,
            [semanticLevelsKey: "\(ids.levels)", semanticCodesKey: "\(ids.codesPerLevel)"]
        )
    }

    /// Writes the model at `path` to `output` (which may be `path`) with `ids` (replacing any it
    /// had) and `version`, keeping the table in its format and the dense weights.
    public static func write(_ ids: SemanticIDs, from path: String, to output: String, version: String) throws(ModelError) {
        var (config, table) = try loadTable(path: path)
        guard ids.itemCount == config.itemCount else {
            throw ModelError(.mismatch, "\(path): \(ids.itemCount) semantic IDs for a model of \(config.itemCount) items")
        }
        let file = try load(path: path)
        config.version = version
        try save(path: output, config: config, dense: file.dense, table: table, semanticIDs: ids)
    }
}
