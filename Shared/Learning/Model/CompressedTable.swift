import Foundation
import RowCodec

/// An item table in one of the `TableFormat`s: the codes of every row in one block of memory, and
/// for the row-wise formats a scale and a bias per row. Rows are widened to f32 one at a time, so a
/// compressed table is never held as f32 anywhere.
///
/// Immutable once built and shared across threads, except a QR table's components, which the
/// parameter server trains in place on its loop thread (as it does f32 rows).
public final class CompressedTable: @unchecked Sendable {
    public let format: TableFormat
    public let rows: Int
    public let dim: Int
    /// Bytes of codes per row (scale and bias are apart).
    public let codeBytesPerRow: Int
    let codes: UnsafeMutableRawPointer
    /// Per row, row-wise formats only (empty otherwise).
    public let scale: [Float]
    public let bias: [Float]
    /// The kept values of a pruned table (nil for the other formats).
    public let pruned: PrunedRows?
    /// The components of a QR table (nil for the other formats).
    public let qr: QuotientRemainder?

    init(
        format: TableFormat, rows: Int, dim: Int, scale: [Float] = [], bias: [Float] = [], pruned: PrunedRows? = nil,
        qr: QuotientRemainder? = nil
    ) {
        precondition((format == .prunedCSR) == (pruned != nil), "a pruned table needs its rows, and only it")
        precondition((format == .qr) == (qr != nil), "a QR table needs its components, and only it")
        self.format = format
        self.rows = rows
        self.dim = dim
        self.pruned = pruned
        self.qr = qr
        codeBytesPerRow = Self.codeBytes(format, dim: dim)
        codes = .allocate(byteCount: max(rows * codeBytesPerRow, 1), alignment: 64)
        codes.initializeMemory(as: UInt8.self, repeating: 0, count: max(rows * codeBytesPerRow, 1))
        self.scale = scale
        self.bias = bias
    }

    deinit { codes.deallocate() }

    static func codeBytes(_ format: TableFormat, dim: Int) -> Int {
        switch format {
        case .f32: 4 * dim
        case .f16, .bf16: 2 * dim
        case .int8Rowwise: dim
        case .int4Rowwise: (dim + 1) / 2
        case .prunedCSR, .qr: 0
        }
    }

    /// A QR table of `components`' rows.
    public convenience init(_ components: QuotientRemainder) {
        self.init(format: .qr, rows: components.rows, dim: components.dim, qr: components)
    }

    /// Memory the table takes: codes, scales and biases (or a pruned table's CSR arrays).
    public var byteCount: Int {
        rows * codeBytesPerRow + (scale.count + bias.count) * 4 + (pruned?.byteCount ?? 0) + (qr?.byteCount ?? 0)
    }

    /// The codes as bytes, `rows × codeBytesPerRow`.
    public var codeBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: codes, count: rows * codeBytesPerRow) }

    /// Converts an f32 table `[rows, dim]`; `prune` is the fraction of values pruning drops,
    /// `qrDivider` QR's D (fitted after training: see `QuotientRemainder.fit`).
    public static func compress(
        _ table: Tensor, format: TableFormat, prune: Double = 0.8, qrDivider: Int = QuotientRemainder.defaultDivider
    ) -> CompressedTable {
        let (rows, dim) = (table.rows, table.count / max(table.rows, 1))
        if format == .prunedCSR {
            return CompressedTable(format: format, rows: rows, dim: dim, pruned: PrunedRows(table, dropping: prune))
        }
        if format == .qr { return CompressedTable(QuotientRemainder.fit(table, divider: qrDivider)) }
        var scale: [Float] = []
        var bias: [Float] = []
        if format.isRowwise {
            scale.reserveCapacity(rows)
            bias.reserveCapacity(rows)
            for row in 0..<rows {
                let values = UnsafeBufferPointer(start: table.row(row), count: dim)
                let (low, high) = (values.min() ?? 0, values.max() ?? 0)
                // A constant row decodes exactly from its bias; any scale will do.
                scale.append(high > low ? (high - low) / format.levels : 1)
                bias.append(low)
            }
        }
        let compressed = CompressedTable(format: format, rows: rows, dim: dim, scale: scale, bias: bias)
        for row in 0..<rows { compressed.encode(row: row, from: table.row(row)) }
        return compressed
    }

    /// Writes row `row`'s codes from f32 values (its scale and bias already set).
    private func encode(row: Int, from values: UnsafePointer<Float>) {
        let destination = codes + row * codeBytesPerRow
        switch format {
        case .prunedCSR, .qr: return
        case .f32:
            destination.copyMemory(from: values, byteCount: 4 * dim)
        case .f16:
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<dim { out[i] = Float16(values[i]).bitPattern }
        case .bf16:
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<dim { out[i] = Self.bfloat16(values[i]) }
        case .int8Rowwise, .int4Rowwise:
            let out = destination.assumingMemoryBound(to: UInt8.self)
            let (step, low, top) = (scale[row], bias[row], format.levels)
            for i in 0..<dim {
                let code = UInt8(min(max(((values[i] - low) / step).rounded(.toNearestOrEven), 0), top))
                if format == .int8Rowwise {
                    out[i] = code
                } else {
                    out[i / 2] |= i % 2 == 0 ? code : code << 4
                }
            }
        }
    }

    /// Widens row `row` to f32 into `destination` (`dim` floats).
    public func decode(row: Int, into destination: UnsafeMutablePointer<Float>) {
        switch format {
        case .prunedCSR: pruned!.decode(row: row, into: destination, dim: dim)
        case .qr: qr!.decode(row: row, into: destination)
        default:
            format.rowEncoding!.decode(
                codes: codes + row * codeBytesPerRow, scale: format.isRowwise ? scale[row] : 0, bias: format.isRowwise ? bias[row] : 0,
                dim: dim, into: destination)
        }
    }

    /// Writes row `row` packed in `format.rowEncoding` (codes, then scale and bias when row-wise):
    /// how a lookup that accepts compact rows receives it.
    public func pack(row: Int, into destination: UnsafeMutableRawPointer) {
        format.rowEncoding!.pack(
            codes: codes + row * codeBytesPerRow, scale: format.isRowwise ? scale[row] : 0, bias: format.isRowwise ? bias[row] : 0,
            dim: dim,
            into: destination)
    }

    /// The whole table widened to f32 (evaluation and tools; serving widens row by row).
    public func dequantized() -> Tensor {
        let table = Tensor(shape: [rows, dim])
        for row in 0..<rows { decode(row: row, into: table.row(row)) }
        return table
    }

    /// A table of the rows `ids` (in that order) of this one, in the same format: an embedding
    /// shard's owned rows.
    public func subset(_ ids: some Collection<Int>) -> CompressedTable {
        let picked = CompressedTable(
            format: format, rows: ids.count, dim: dim, scale: format.isRowwise ? ids.map { scale[$0] } : [],
            bias: format.isRowwise ? ids.map { bias[$0] } : [], pruned: pruned?.subset(ids), qr: qr?.subset(ids))
        for (local, id) in ids.enumerated() {
            (picked.codes + local * codeBytesPerRow).copyMemory(from: codes + id * codeBytesPerRow, byteCount: codeBytesPerRow)
        }
        return picked
    }

    /// bfloat16 bits of `value`, rounded to nearest even (NaN stays NaN).
    static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    /// The largest absolute error decoding may have for a row with these values, by the format's
    /// documented bound (see `TableFormat`).
    public func errorBound(row: Int, values: UnsafeBufferPointer<Float>) -> Float {
        let largest = values.map(abs).max() ?? 0
        switch format {
        case .f32: return 0
        case .f16: return largest * Float(Float16.ulpOfOne) / 2 + Float(Float16.leastNonzeroMagnitude)
        case .bf16: return largest / 256
        case .int8Rowwise, .int4Rowwise: return scale[row] / 2 * (1 + 1e-5) + abs(bias[row]) * 1e-6
        case .prunedCSR: return pruned!.threshold
        case .qr: return qr!.maxError * (1 + 1e-5) + largest * 1e-6
        }
    }
}
