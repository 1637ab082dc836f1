import ArgumentParser
import Foundation

/// Parses "1,2,3" and "10-20" (inclusive) into item ids.
enum IDList {
    static func parse(_ text: String) throws -> [Int64] {
        var ids: [Int64] = []
        for part in text.split(separator: ",") {
            let piece = part.trimmingCharacters(in: .whitespaces)
            if let dash = piece.dropFirst().firstIndex(of: "-"),
                let low = Int64(piece[..<dash]), let high = Int64(piece[piece.index(after: dash)...]), low <= high
            {
                ids += Array(low...high)
            } else if let id = Int64(piece) {
                ids.append(id)
            } else {
                throw ValidationError("'\(piece)' is not an item id or an id range like 10-20")
            }
        }
        return ids
    }
}
