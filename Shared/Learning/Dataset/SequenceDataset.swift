/// Interactions as per-user item sequences over dense ids.
///
/// Ids: items and users are numbered `0..<count` in ascending token order (numeric order when
/// every token is a number, as in MovieLens, so item token 1 is id 0). Order: each user's items by
/// timestamp; equal timestamps (common in MovieLens) keep the file's line order, a stable sort as
/// RecBole's, so splits match its protocol. Deterministic: the data files' sha256 is pinned.
public struct SequenceDataset: Sendable {
    public let itemTokens: [String]
    public let userTokens: [String]
    /// `sequences[user]` is that user's item ids, oldest first.
    public let sequences: [[Int64]]

    public var itemCount: Int { itemTokens.count }
    public var userCount: Int { userTokens.count }
    public var interactionCount: Int { sequences.reduce(0) { $0 + $1.count } }

    public init(_ interactions: [Interaction]) {
        itemTokens = Self.sortedTokens(interactions.map(\.item))
        userTokens = Self.sortedTokens(interactions.map(\.user))
        let itemID = Dictionary(uniqueKeysWithValues: itemTokens.enumerated().map { ($1, Int64($0)) })
        let userID = Dictionary(uniqueKeysWithValues: userTokens.enumerated().map { ($1, $0) })
        var events = [[(time: Double, line: Int, item: Int64)]](repeating: [], count: userTokens.count)
        for (line, interaction) in interactions.enumerated() {
            events[userID[interaction.user]!].append((interaction.timestamp, line, itemID[interaction.item]!))
        }
        sequences = events.map { userEvents in
            userEvents.sorted { $0.time != $1.time ? $0.time < $1.time : $0.line < $1.line }.map(\.item)
        }
    }

    public func itemID(token: String) -> Int64? {
        itemTokens.firstIndex(of: token).map(Int64.init)
    }

    static func sortedTokens(_ tokens: [String]) -> [String] {
        let unique = Array(Set(tokens))
        if unique.allSatisfy({ Int64($0) != nil }) {
            return unique.sorted { Int64($0)! < Int64($1)! }
        }
        return unique.sorted()
    }
}
