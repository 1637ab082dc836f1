import ArgumentParser
import Foundation
import Model

struct Compress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Convert a model's item table to a compact format (post-training); every tier loads the result and hot swap works across formats.",
        discussion: """
            Formats: \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")). The dense weights are copied unchanged. \
            Prints bytes per row, the table's size against f32, and the largest decoding error next to the format's bound.
            """)

    @Option(help: "The f32 model file to convert.")
    var model: String
    @Option(name: .shortAndLong, help: "Where to write the converted model.")
    var output: String
    @Option(help: "Table format.")
    var format: String
    @Option(help: "With --format pruned-csr: the fraction of values to drop, smallest magnitudes first (0.5, 0.8, 0.95).")
    var prune = 0.8
    @Option(
        help:
            "With --format qr: the divider D (ceil(items / D) + D component rows, fitted to the trained table by a rank-1 grid per dimension)."
    )
    var qrDivider = QuotientRemainder.defaultDivider
    @Option(help: "Version of the converted model (default: the input's version and the format, e.g. trained-1-int8-rowwise).")
    var version: String?

    func validate() throws {
        guard prune >= 0 && prune < 1 else { throw ValidationError("--prune must be in [0, 1), got \(prune)") }
        guard qrDivider >= 1 else { throw ValidationError("--qr-divider must be positive, got \(qrDivider)") }
        guard TableFormat(rawValue: format) != nil else {
            throw ValidationError(
                "--format must be one of \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(format)'")
        }
    }

    func run() throws {
        let tableFormat = TableFormat(rawValue: format)!
        var file = try ModelFile.load(path: model, itemTable: true, semanticIDs: true)
        let table = file.itemTable!
        let started = Date()
        guard qrDivider <= table.rows else { throw ValidationError("--qr-divider must be at most the \(table.rows) items") }
        let compressed = CompressedTable.compress(table, format: tableFormat, prune: prune, qrDivider: qrDivider)
        let name =
            switch tableFormat {
            case .prunedCSR: "pruned-\(Int((prune * 100).rounded()))"
            case .qr: "qr-\(qrDivider)"
            default: tableFormat.rawValue
            }
        file.config.version = version ?? "\(file.config.version)-\(name)"
        try ModelFile.save(
            path: output, config: file.config, dense: file.dense, table: compressed, semanticIDs: file.semanticIDs,
            generator: file.generator)
        var (worst, worstRatio) = (Float(0), Float(0))
        var row = [Float](repeating: 0, count: table.shape[1])
        for index in 0..<table.rows {
            compressed.decode(row: index, into: &row)
            let values = UnsafeBufferPointer(start: table.row(index), count: row.count)
            let error = zip(values, row).map { abs($0 - $1) }.max() ?? 0
            let bound = compressed.errorBound(row: index, values: values)
            worst = max(worst, error)
            if bound > 0 { worstRatio = max(worstRatio, error / bound) }
        }
        let (bytes, f32Bytes) = (Double(compressed.byteCount), Double(table.byteCount))
        let perRow = String(format: "%.1f", bytes / Double(table.rows))
        let sizes = String(format: "%.2f MiB (f32: %.2f MiB, %.3fx)", bytes / 1_048_576, f32Bytes / 1_048_576, bytes / f32Bytes)
        let error = String(format: "%.3g (%.2f of the format's bound)", Double(worst), Double(worstRatio))
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print(
            "wrote \(output) (version \(file.config.version)): \(name) table, \(perRow) bytes a row, \(sizes); largest error \(error) in \(seconds) s"
        )
    }
}
