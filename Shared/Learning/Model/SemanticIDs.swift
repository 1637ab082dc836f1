/// Every item's semantic ID: `levels` codes, each below `codesPerLevel`, unique per item, and the
/// prefix trie that keeps generation on real items.
///
/// Codes are stored item-major (`codes[item * levels + level]`); a code's key packs its levels
/// into one integer (`c0 * K^(L-1) + … + c(L-1)`), so a prefix of `t` levels has the key of its
/// first `t` codes.
public struct SemanticIDs: Sendable, Equatable {
    public let levels: Int
    public let codesPerLevel: Int
    public let codes: [UInt16]
    /// Full key to item.
    let items: [Int: Int]
    /// Per level `t` (0 ..< levels): prefix key of `t` codes to the codes allowed next, ascending.
    let children: [[Int: [UInt16]]]

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case shape(String)
        case duplicate(code: [Int], items: [Int])

        public var description: String {
            switch self {
            case .shape(let text): return text
            case .duplicate(let code, let items): return "items \(items) share the semantic ID \(code); every item needs its own"
            }
        }
    }

    /// Checks the shape, every code's range and uniqueness, and builds the trie.
    public init(levels: Int, codesPerLevel: Int, codes: [UInt16]) throws(Problem) {
        guard levels >= 1, codesPerLevel >= 2, codesPerLevel <= Int(UInt16.max) + 1 else {
            throw .shape("semantic IDs need at least 1 level and 2 codes a level (got \(levels) x \(codesPerLevel))")
        }
        guard codes.count % levels == 0 else { throw .shape("\(codes.count) codes do not make whole IDs of \(levels) levels") }
        guard Double(codesPerLevel).power(levels) < 9e15 else { throw .shape("\(codesPerLevel)^\(levels) codes overflow a key") }
        if let bad = codes.first(where: { Int($0) >= codesPerLevel }) {
            throw .shape("code \(bad) is not below the \(codesPerLevel) codes a level")
        }
        let count = codes.count / levels
        var items: [Int: Int] = [:]
        var children = [[Int: Set<UInt16>]](repeating: [:], count: levels)
        items.reserveCapacity(count)
        for item in 0..<count {
            var key = 0
            for level in 0..<levels {
                let code = codes[item * levels + level]
                children[level][key, default: []].insert(code)
                key = key * codesPerLevel + Int(code)
            }
            if let other = items.updateValue(item, forKey: key) {
                let code = (0..<levels).map { Int(codes[item * levels + $0]) }
                throw .duplicate(code: code, items: [other, item])
            }
        }
        self.levels = levels
        self.codesPerLevel = codesPerLevel
        self.codes = codes
        self.items = items
        self.children = children.map { $0.mapValues { $0.sorted() } }
    }

    public var itemCount: Int { codes.count / levels }

    public func code(of item: Int) -> ArraySlice<UInt16> { codes[(item * levels)..<((item + 1) * levels)] }

    /// The item whose full code has this key, if any.
    public func item(key: Int) -> Int? { items[key] }

    /// Codes that continue a valid prefix of `level` codes (key of those codes; 0 for the empty prefix).
    public func allowed(level: Int, prefix key: Int) -> [UInt16] { children[level][key] ?? [] }

    public static func == (a: SemanticIDs, b: SemanticIDs) -> Bool {
        a.levels == b.levels && a.codesPerLevel == b.codesPerLevel && a.codes == b.codes
    }
}

extension Double {
    fileprivate func power(_ n: Int) -> Double { (0..<n).reduce(1) { r, _ in r * self } }
}
