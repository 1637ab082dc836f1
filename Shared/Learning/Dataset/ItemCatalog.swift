import Foundation

/// Item titles and genres from an atomic `.item` file, by dense item id (for printing
/// recommendations so a reader can judge them).
public struct ItemCatalog: Sendable {
    public let titles: [Int64: String]
    /// MovieLens's genre column (`class`), when the file has one.
    public let genres: [Int64: String]

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
        let genre = columns.firstIndex(of: "class")
        let ids = Dictionary(uniqueKeysWithValues: dataset.itemTokens.enumerated().map { ($1, Int64($0)) })
        var titles: [Int64: String] = [:]
        var genres: [Int64: String] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == columns.count, let id = ids[String(fields[item])] else { continue }
            let suffix = year.map { fields[$0].isEmpty ? "" : " (\(fields[$0]))" } ?? ""
            titles[id] = String(fields[title]) + suffix
            if let genre, !fields[genre].isEmpty { genres[id] = fields[genre].split(separator: " ").joined(separator: ", ") }
        }
        self.titles = titles
        self.genres = genres
    }

    public func title(_ id: Int64) -> String { titles[id] ?? "item \(id)" }

    /// "Title (year)  [Genre, Genre]".
    public func describe(_ id: Int64) -> String { title(id) + (genres[id].map { "  [\($0)]" } ?? "") }
}
