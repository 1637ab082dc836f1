/// Item tables in every `TableFormat`: `item_embedding` holds f32, f16 or bf16 values; the row-wise
/// formats store `item_embedding.codes` (U8, `[items, code bytes per row]`) with
/// `item_embedding.scale` and `item_embedding.bias` (F32, `[items]`); pruned tables CSR arrays;
/// QR tables `item_embedding.quotient` and `item_embedding.remainder` (F32) with metadata
/// `qr_divider`. The format is named in the metadata (`table_format`; absent means f32).
extension ModelFile {
    public static let codesName = itemTableName + ".codes"
    public static let scaleName = itemTableName + ".scale"
    public static let biasName = itemTableName + ".bias"
    public static let offsetsName = itemTableName + ".row_offsets"
    public static let columnsName = itemTableName + ".columns"
    public static let valuesName = itemTableName + ".values"
    public static let quotientName = itemTableName + ".quotient"
    public static let remainderName = itemTableName + ".remainder"
    /// Metadata: a pruned table's threshold (its error bound), for tools.
    static let pruneThresholdKey = "prune_threshold"
    /// Metadata: a QR table's divider D, and its fit's largest error (its error bound).
    static let qrDividerKey = "qr_divider"
    static let qrMaxErrorKey = "qr_max_error"

    /// The table format a model file names (reads only its header).
    public static func storedTableFormat(path: String) throws(ModelError) -> TableFormat {
        try tableFormat(try Safetensors.Reader(path: path).metadata, path: path)
    }

    /// The format a file's metadata names; an unknown one is refused naming it.
    static func tableFormat(_ metadata: [String: String], path: String) throws(ModelError) -> TableFormat {
        guard let name = metadata[TableFormat.metadataKey] else { return .f32 }
        guard let format = TableFormat(rawValue: name) else {
            throw ModelError(
                .unsupported,
                "\(path): table format '\(name)' is unknown; known formats: \(TableFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return format
    }

    /// The item table in its stored format (the embedding-server's load: never widened to f32).
    public static func loadTable(path: String) throws(ModelError) -> (config: ModelConfig, table: CompressedTable) {
        let reader = try Safetensors.Reader(path: path)
        let config = try ModelConfig(metadata: reader.metadata, path: path)
        let format = try tableFormat(reader.metadata, path: path)
        let (items, dim) = (config.itemCount, config.dim)
        switch format {
        case .f32, .f16, .bf16:
            let dtype: Safetensors.DType = format == .f32 ? .f32 : format == .f16 ? .f16 : .bf16
            let entry = try reader.entry(itemTableName, dtype: dtype, shape: [items, dim])
            let table = CompressedTable(format: format, rows: items, dim: dim)
            try reader.read(entry, into: table.codes)
            return (config, table)
        case .int8Rowwise, .int4Rowwise:
            let codes = try reader.entry(codesName, dtype: .u8, shape: [items, CompressedTable.codeBytes(format, dim: dim)])
            let scale = try reader.tensor(scaleName, shape: [items])
            let bias = try reader.tensor(biasName, shape: [items])
            guard scale.buffer.allSatisfy({ $0.isFinite && $0 > 0 }), bias.buffer.allSatisfy(\.isFinite) else {
                throw ModelError(.corrupt, "\(path): tensor '\(scaleName)' or '\(biasName)' holds a non-finite or non-positive scale")
            }
            let table = CompressedTable(format: format, rows: items, dim: dim, scale: scale.array, bias: bias.array)
            try reader.read(codes, into: table.codes)
            return (config, table)
        case .prunedCSR:
            let kept = reader.entries[valuesName]?.shape ?? []
            guard kept.count == 1 else { throw ModelError(.corrupt, "\(path): tensor '\(valuesName)' is missing or not 1-D") }
            let rows = PrunedRows(
                offsets: try reader.array(offsetsName, dtype: .u32, shape: [items + 1], as: UInt32.self),
                columns: try reader.array(columnsName, dtype: .u16, shape: kept, as: UInt16.self),
                values: try reader.array(valuesName, dtype: .f32, shape: kept, as: Float.self),
                threshold: Float(reader.metadata[pruneThresholdKey] ?? "") ?? .infinity)
            if let problem = rows.problem(rows: items, dim: dim) {
                throw ModelError(.corrupt, "\(path): tensor '\(offsetsName)' / '\(columnsName)': \(problem)")
            }
            return (config, CompressedTable(format: format, rows: items, dim: dim, pruned: rows))
        case .qr:
            guard let divider = Int(reader.metadata[qrDividerKey] ?? ""), divider >= 1, divider <= max(items, 1) else {
                throw ModelError(
                    .corrupt, "\(path): metadata '\(qrDividerKey)' must be an integer in 1...\(items) for a qr table")
            }
            let quotient = try reader.tensor(quotientName, shape: [QuotientRemainder.quotientRows(items: items, divider: divider), dim])
            let remainder = try reader.tensor(remainderName, shape: [divider, dim])
            for (name, tensor) in [(quotientName, quotient), (remainderName, remainder)] where !tensor.buffer.allSatisfy(\.isFinite) {
                throw ModelError(.corrupt, "\(path): tensor '\(name)' holds non-finite values")
            }
            let components = QuotientRemainder(
                divider: divider, items: items, quotient: quotient, remainder: remainder,
                maxError: Float(reader.metadata[qrMaxErrorKey] ?? "") ?? 0)
            return (config, CompressedTable(components))
        }
    }

    /// Writes the dense weights with `table` in its format (and the semantic IDs, when given).
    public static func save(
        path: String, config: ModelConfig, dense: DenseWeights, table: CompressedTable, semanticIDs: SemanticIDs? = nil,
        generator: GeneratorWeights? = nil
    ) throws(ModelError) {
        let semantic = generativeTensors(semanticIDs, generator, config: config)
        var metadata = config.metadata.merging(semantic.metadata) { $1 }
        if table.format != .f32 { metadata[TableFormat.metadataKey] = table.format.rawValue }
        if let pruned = table.pruned { metadata[pruneThresholdKey] = "\(pruned.threshold)" }
        if let qr = table.qr { (metadata[qrDividerKey], metadata[qrMaxErrorKey]) = ("\(qr.divider)", "\(qr.maxError)") }
        let denseTensors = zip(DenseWeights.layout(config).map(\.name), dense.all).map { name, tensor in
            Safetensors.RawTensor(name: name, dtype: .f32, shape: tensor.shape, bytes: UnsafeRawBufferPointer(tensor.buffer))
        }
        let (items, dim) = (config.itemCount, config.dim)
        let scale = Tensor(shape: [table.scale.count], values: table.scale)
        let bias = Tensor(shape: [table.bias.count], values: table.bias)
        var tableTensors: [Safetensors.RawTensor]
        var owned: [Safetensors.OwnedBytes] = []
        switch table.format {
        case .f32, .f16, .bf16:
            let dtype: Safetensors.DType = table.format == .f32 ? .f32 : table.format == .f16 ? .f16 : .bf16
            tableTensors = [.init(name: itemTableName, dtype: dtype, shape: [items, dim], bytes: table.codeBytes)]
        case .int8Rowwise, .int4Rowwise:
            tableTensors = [
                .init(name: codesName, dtype: .u8, shape: [items, table.codeBytesPerRow], bytes: table.codeBytes),
                .init(name: scaleName, dtype: .f32, shape: [items], bytes: UnsafeRawBufferPointer(scale.buffer)),
                .init(name: biasName, dtype: .f32, shape: [items], bytes: UnsafeRawBufferPointer(bias.buffer)),
            ]
        case .prunedCSR:
            let pruned = table.pruned!
            owned = [.init(pruned.offsets), .init(pruned.columns), .init(pruned.values)]
            tableTensors = [
                .init(name: offsetsName, dtype: .u32, shape: [items + 1], bytes: owned[0].bytes),
                .init(name: columnsName, dtype: .u16, shape: [pruned.columns.count], bytes: owned[1].bytes),
                .init(name: valuesName, dtype: .f32, shape: [pruned.values.count], bytes: owned[2].bytes),
            ]
        case .qr:
            let qr = table.qr!
            guard qr.itemIDs == nil, qr.items == items else {
                throw ModelError(.invalidConfig, "\(path): a shard's QR rows cannot be saved as a model's table")
            }
            tableTensors = [
                .init(name: quotientName, dtype: .f32, shape: qr.quotient.shape, bytes: UnsafeRawBufferPointer(qr.quotient.buffer)),
                .init(name: remainderName, dtype: .f32, shape: qr.remainder.shape, bytes: UnsafeRawBufferPointer(qr.remainder.buffer)),
            ]
        }
        try withExtendedLifetime((scale, bias, table, owned, semantic.owned, generator)) { () throws(ModelError) in
            try Safetensors.write(path: path, raw: tableTensors + denseTensors + semantic.tensors, metadata: metadata)
        }
    }
}
