import Foundation

/// One user–item interaction as it appears in an atomic `.inter` file (RecBole's format: a
/// tab-separated header of `name:type` columns, then one interaction per line).
public struct Interaction: Sendable, Equatable {
    public var user: String
    public var item: String
    public var timestamp: Double

    public init(user: String, item: String, timestamp: Double) {
        self.user = user
        self.item = item
        self.timestamp = timestamp
    }
}

/// Reads `.inter` files. Every rating counts as an interaction (implicit feedback).
public enum InteractionLog {
    public static func load(path: String) throws(DatasetError) -> [Interaction] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError("\(path): cannot read (fetch the data with scripts/fetch-movielens.sh)")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String = "<text>") throws(DatasetError) -> [Interaction] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard let header = lines.next() else { throw DatasetError("\(source): empty file") }
        let columns = header.split(separator: "\t").map { String($0.split(separator: ":").first ?? "") }
        guard let user = columns.firstIndex(of: "user_id"), let item = columns.firstIndex(of: "item_id"),
            let time = columns.firstIndex(of: "timestamp")
        else {
            throw DatasetError("\(source): header needs user_id, item_id and timestamp columns, got \(columns)")
        }
        var interactions: [Interaction] = []
        var number = 1
        while let line = lines.next() {
            number += 1
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == columns.count, let timestamp = Double(fields[time]) else {
                throw DatasetError("\(source):\(number): expected \(columns.count) tab-separated fields with a numeric timestamp")
            }
            interactions.append(Interaction(user: String(fields[user]), item: String(fields[item]), timestamp: timestamp))
        }
        return interactions
    }
}
