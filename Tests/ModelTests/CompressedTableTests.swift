import Foundation
import Model
import TestSupport
import Testing

/// Every table format: decoding is exactly the dequantized reference, the error against f32 stays
/// within the format's documented bound, files round-trip, and bad files are refused naming the tensor.
@Suite struct CompressedTableTests {
    /// A table with the rows that stress codecs: constant, tiny, huge range, negative, and random.
    static func table(rows: Int = 40, dim: Int = 13) -> Tensor {
        var rng = SeededRandom(seed: 9)
        let table = Tensor(shape: [rows, dim])
        for row in 0..<rows {
            for c in 0..<dim {
                table.row(row)[c] =
                    switch row {
                    case 0: 0.25
                    case 1: Float.random(in: -1e-4...1e-4, using: &rng)
                    case 2: Float.random(in: -60...60, using: &rng)
                    case 3: -Float.random(in: 1...2, using: &rng)
                    default: Float.random(in: -0.5...0.5, using: &rng)
                    }
            }
        }
        return table
    }

    static func path(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        )
        .path
    }

    @Test(arguments: TableFormat.allCases)
    func decodingMatchesTheReferenceWithinTheFormatsBound(format: TableFormat) {
        let table = Self.table()
        let compressed = CompressedTable.compress(table, format: format)
        let reference = compressed.dequantized()
        var row = [Float](repeating: 0, count: 13)
        for index in 0..<table.rows {
            compressed.decode(row: index, into: &row)
            #expect(row == Array(UnsafeBufferPointer(start: reference.row(index), count: 13)))
            let values = UnsafeBufferPointer(start: table.row(index), count: 13)
            let bound = compressed.errorBound(row: index, values: values)
            let error = zip(values, row).map { abs($0 - $1) }.max()!
            #expect(error <= bound, "\(format) row \(index): error \(error) over the bound \(bound)")
        }
        if format != .prunedCSR && format != .qr {
            #expect(Double(compressed.byteCount) == format.bytesPerRow(dim: 13) * Double(table.rows))
        }
        if format == .f32 { #expect(reference.array == table.array) }
        // At the served width (d 64) int8 row-wise takes at most 0.3x of f32, scale and bias included.
        if format == .int8Rowwise { #expect(Double(format.bytesPerRow(dim: 64)) <= 0.3 * Double(TableFormat.f32.bytesPerRow(dim: 64))) }
    }

    @Test(arguments: TableFormat.allCases)
    func modelFilesRoundTripInEveryFormat(format: TableFormat) throws {
        var model = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 3)
        let compressed = CompressedTable.compress(model.itemTable!, format: format)
        let path = Self.path("table")
        defer { try? FileManager.default.removeItem(atPath: path) }
        model.config.version = "v-\(format.rawValue)"
        try ModelFile.save(path: path, config: model.config, dense: model.dense, table: compressed)
        let (config, loaded) = try ModelFile.loadTable(path: path)
        #expect(config == model.config && loaded.format == format)
        #expect(
            Array(loaded.codeBytes) == Array(compressed.codeBytes) && loaded.scale == compressed.scale && loaded.bias == compressed.bias)
        #expect(loaded.qr?.quotient.array == compressed.qr?.quotient.array && loaded.qr?.remainder.array == compressed.qr?.remainder.array)
        #expect(loaded.qr?.divider == compressed.qr?.divider && loaded.qr?.maxError == compressed.qr?.maxError)
        // Tiers that need f32 (evaluation, the trainer) get the widened table; the dense weights are untouched.
        let widened = try ModelFile.load(path: path, itemTable: true)
        #expect(widened.itemTable!.array == compressed.dequantized().array)
        #expect(widened.dense.all.map(\.array) == model.dense.all.map(\.array))
    }

    @Test(arguments: [0.5, 0.8, 0.95])
    func pruningDropsTheSmallestValuesAndKeepsTheRestExactly(fraction: Double) {
        let table = Self.table(rows: 60, dim: 16)
        let pruned = CompressedTable.compress(table, format: .prunedCSR, prune: fraction)
        let rows = pruned.pruned!
        let kept = Double(rows.values.count) / Double(table.count)
        #expect(abs(kept - (1 - fraction)) <= 0.02, "kept \(kept) at pruning \(fraction)")
        var row = [Float](repeating: 0, count: 16)
        for index in 0..<60 {
            pruned.decode(row: index, into: &row)
            for (value, original) in zip(row, UnsafeBufferPointer(start: table.row(index), count: 16)) {
                #expect(value == (abs(original) >= rows.threshold ? original : 0))
            }
        }
        #expect(Double(pruned.byteCount) < Double(table.byteCount) * (1 - fraction) * 1.6 + 61 * 4)
    }

    /// A table trained as QR is a rank-1 grid in every dimension: fitting it after training gives
    /// back its rows (float rounding only), however the items fall on the last quotient row.
    @Test(arguments: [1, 3, 8, 40])
    func fittingATableTrainedAsQRRecoversIt(divider: Int) {
        let truth = QuotientRemainder.random(items: 43, dim: 16, divider: divider, seed: 5)
        let table = CompressedTable(truth).dequantized()
        let fitted = QuotientRemainder.fit(table, divider: divider)
        let largest = table.array.map(abs).max()!
        #expect(fitted.maxError <= largest * 1e-5, "largest error \(fitted.maxError) of values up to \(largest)")
        let bytes = CompressedTable(fitted).byteCount
        #expect(bytes == (QuotientRemainder.quotientRows(items: 43, divider: divider) + divider) * 16 * 4)
    }

    @Test func badQRFilesAreRefusedNamingWhatIsWrong() throws {
        let model = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 3)
        let qr = QuotientRemainder.random(items: 40, dim: 16, divider: 8, seed: 1)
        let path = Self.path("bad-qr")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dense = zip(DenseWeights.layout(model.config).map(\.name), model.dense.all).map {
            Safetensors.RawTensor(name: $0, dtype: .f32, shape: $1.shape, bytes: UnsafeRawBufferPointer($1.buffer))
        }
        let shortRemainder = Tensor(shape: [7, 16], values: Array(qr.remainder.array.prefix(7 * 16)))
        let cases: [(divider: String?, remainder: Tensor, mentions: String)] = [
            (nil, qr.remainder, "'qr_divider'"),
            ("0", qr.remainder, "'qr_divider'"),
            ("8", shortRemainder, "'item_embedding.remainder'"),
        ]
        for (divider, remainder, mentions) in cases {
            var metadata = model.config.metadata
            metadata[TableFormat.metadataKey] = "qr"
            metadata["qr_divider"] = divider
            try Safetensors.write(
                path: path,
                raw: [
                    .init(
                        name: ModelFile.quotientName, dtype: .f32, shape: qr.quotient.shape,
                        bytes: UnsafeRawBufferPointer(qr.quotient.buffer)),
                    .init(
                        name: ModelFile.remainderName, dtype: .f32, shape: remainder.shape, bytes: UnsafeRawBufferPointer(remainder.buffer)),
                ] + dense, metadata: metadata)
            do {
                _ = try ModelFile.loadTable(path: path)
                Issue.record("\(mentions): loaded")
            } catch {
                #expect(error.description.contains(mentions), "\(error)")
            }
        }
    }

    @Test func badTableFilesAreRefusedNamingTheTensor() throws {
        let model = Fixtures.randomModel(items: 40, dim: 16, heads: 2, layers: 1, maxHistory: 10, seed: 3)
        let int8 = CompressedTable.compress(model.itemTable!, format: .int8Rowwise)
        let path = Self.path("bad-table")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dense = zip(DenseWeights.layout(model.config).map(\.name), model.dense.all).map {
            Safetensors.RawTensor(name: $0, dtype: .f32, shape: $1.shape, bytes: UnsafeRawBufferPointer($1.buffer))
        }
        let scale = Tensor(shape: [40], values: int8.scale)
        let shortScale = Tensor(shape: [39], values: Array(int8.scale.prefix(39)))
        let bias = Tensor(shape: [40], values: int8.bias)
        func write(format: String, codesShape: [Int], codes: UnsafeRawBufferPointer, scale: Tensor) throws {
            var metadata = model.config.metadata
            metadata[TableFormat.metadataKey] = format
            try Safetensors.write(
                path: path,
                raw: [
                    .init(name: ModelFile.codesName, dtype: .u8, shape: codesShape, bytes: codes),
                    .init(name: ModelFile.scaleName, dtype: .f32, shape: scale.shape, bytes: UnsafeRawBufferPointer(scale.buffer)),
                    .init(name: ModelFile.biasName, dtype: .f32, shape: [40], bytes: UnsafeRawBufferPointer(bias.buffer)),
                ] + dense, metadata: metadata)
        }
        let cases: [(format: String, codesShape: [Int], codes: UnsafeRawBufferPointer, scale: Tensor, mentions: String)] = [
            ("int3-rowwise", [40, 16], int8.codeBytes, scale, "table format 'int3-rowwise' is unknown"),
            ("int8-rowwise", [39, 16], UnsafeRawBufferPointer(rebasing: int8.codeBytes[..<(39 * 16)]), scale, "'item_embedding.codes'"),
            ("int8-rowwise", [40, 16], int8.codeBytes, shortScale, "'item_embedding.scale'"),
        ]
        // A pruned table whose row offsets run past its values.
        var metadata = model.config.metadata
        metadata[TableFormat.metadataKey] = "pruned-csr"
        let offsets = Safetensors.OwnedBytes((0...40).map { UInt32($0 * 2) })
        let columns = Safetensors.OwnedBytes([UInt16](repeating: 1, count: 10))
        let values = Safetensors.OwnedBytes([Float](repeating: 0.5, count: 10))
        try Safetensors.write(
            path: path,
            raw: [
                .init(name: ModelFile.offsetsName, dtype: .u32, shape: [41], bytes: offsets.bytes),
                .init(name: ModelFile.columnsName, dtype: .u16, shape: [10], bytes: columns.bytes),
                .init(name: ModelFile.valuesName, dtype: .f32, shape: [10], bytes: values.bytes),
            ] + dense, metadata: metadata)
        #expect(throws: ModelError.self) { try ModelFile.loadTable(path: path) }
        do { _ = try ModelFile.loadTable(path: path) } catch {
            #expect(error.description.contains("'item_embedding.row_offsets'"), "\(error)")
        }

        for (format, codesShape, codes, scale, mentions) in cases {
            try write(format: format, codesShape: codesShape, codes: codes, scale: scale)
            do {
                _ = try ModelFile.loadTable(path: path)
                Issue.record("\(mentions): loaded")
            } catch {
                #expect(error.description.contains(mentions), "\(error)")
            }
        }
    }
}
