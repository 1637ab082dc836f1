/// A magnitude-pruned table in CSR form: for row r, its kept values are `values[offsets[r] ..<
/// offsets[r + 1]]` at columns `columns[...]`; everything else is zero.
public struct PrunedRows: Sendable {
    public let offsets: [UInt32]
    public let columns: [UInt16]
    public let values: [Float]
    /// Values smaller in magnitude than this were dropped (the largest error a lookup can have).
    public let threshold: Float

    public init(offsets: [UInt32], columns: [UInt16], values: [Float], threshold: Float) {
        (self.offsets, self.columns, self.values, self.threshold) = (offsets, columns, values, threshold)
    }

    /// Drops the `fraction` of all values smallest in magnitude (one threshold for the whole table).
    init(_ table: Tensor, dropping fraction: Double) {
        let magnitudes = table.buffer.map(abs).sorted()
        let dropped = min(max(Int((Double(magnitudes.count) * fraction).rounded()), 0), magnitudes.count)
        // Keep values at or above the threshold; ties at it are kept, so at most `fraction` is dropped.
        let threshold = dropped == 0 ? 0 : dropped == magnitudes.count ? .infinity : magnitudes[dropped]
        let (rows, dim) = (table.rows, table.count / max(table.rows, 1))
        var offsets: [UInt32] = [0]
        var columns: [UInt16] = []
        var values: [Float] = []
        for row in 0..<rows {
            let source = table.row(row)
            for column in 0..<dim where abs(source[column]) >= threshold {
                columns.append(UInt16(column))
                values.append(source[column])
            }
            offsets.append(UInt32(values.count))
        }
        self.init(offsets: offsets, columns: columns, values: values, threshold: threshold)
    }

    public var byteCount: Int { offsets.count * 4 + columns.count * 2 + values.count * 4 }

    /// Checks a CSR read from a file: offsets rising from 0 to the value count, columns below `dim`.
    public func problem(rows: Int, dim: Int) -> String? {
        guard offsets.count == rows + 1, offsets.first == 0, Int(offsets.last ?? 0) == values.count, columns.count == values.count
        else {
            return
                "row offsets (\(offsets.count) of them, ending at \(offsets.last ?? 0)) do not fit \(rows) rows and \(values.count) values"
        }
        guard zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else { return "row offsets decrease" }
        guard columns.allSatisfy({ Int($0) < dim }) else { return "a column index is not below \(dim)" }
        guard values.allSatisfy(\.isFinite) else { return "a kept value is not finite" }
        return nil
    }

    func decode(row: Int, into destination: UnsafeMutablePointer<Float>, dim: Int) {
        destination.initialize(repeating: 0, count: dim)
        for index in Int(offsets[row])..<Int(offsets[row + 1]) { destination[Int(columns[index])] = values[index] }
    }

    func subset(_ ids: some Collection<Int>) -> PrunedRows {
        var offsets: [UInt32] = [0]
        var columns: [UInt16] = []
        var values: [Float] = []
        for id in ids {
            let range = Int(self.offsets[id])..<Int(self.offsets[id + 1])
            columns += self.columns[range]
            values += self.values[range]
            offsets.append(UInt32(values.count))
        }
        return PrunedRows(offsets: offsets, columns: columns, values: values, threshold: threshold)
    }
}
