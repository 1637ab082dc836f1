import Foundation

/// Item titles from an atomic `.item` file, by dense item id (for printing recommendations).
public struct ItemCatalog: Sendable {
    public let titles: [Int64: String]

    public init(path: String, dataset: SequenceDataset) throws(DatasetError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError("\(path): cannot read (fetch the data with scripts/fetch-movielens.sh)")
        }
        let lines = text.split(separator: "\n")
        guard let header = lines.first else { throw DatasetError("\(path): empty file") }
        let columns = header.split(separator: "\t").map { String($0.split(separator: ":").first ?? "") }
        guard let item = columns.firstIndex(of: "item_id"), let title = columns.firstIndex(of: "movie_title") else {
            throw DatasetError("\(path): header needs item_id and movie_title columns, got \(columns)")
        }
        let year = columns.firstIndex(of: "release_year")
        let ids = Dictionary(uniqueKeysWithValues: dataset.itemTokens.enumerated().map { ($1, Int64($0)) })
        var titles: [Int64: String] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == columns.count, let id = ids[String(fields[item])] else { continue }
            let suffix = year.map { fields[$0].isEmpty ? "" : " (\(fields[$0]))" } ?? ""
            titles[id] = String(fields[title]) + suffix
        }
        self.titles = titles
    }

    public func title(_ id: Int64) -> String { titles[id] ?? "item \(id)" }
}
