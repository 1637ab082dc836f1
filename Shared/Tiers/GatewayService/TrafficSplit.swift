import Wire

/// Which model version serves which user: a stable hash of the user id picks one of 100 buckets,
/// and the split's versions own consecutive bucket ranges in the order listed.
///
/// The hash is FNV-1a (not Swift's per-process seeded `Hasher`), so a user keeps its version across
/// gateway restarts and replicas; and widening a later version's share (90/10 → 75/25) only moves
/// users toward it, never back and forth.
public struct TrafficSplit: Sendable, Equatable {
    public private(set) var shares: [VersionShare]

    /// No split: every request goes to the encoder's active version.
    public static let none = TrafficSplit(checked: [])

    private init(checked shares: [VersionShare]) { self.shares = shares }

    /// Checks the shares' own consistency (not whether replicas hold the versions).
    public init(_ shares: [VersionShare]) throws(ServiceError) {
        guard !shares.isEmpty else { throw .badRequest("a split needs at least one version") }
        guard Set(shares.map(\.version)).count == shares.count else {
            throw .badRequest("a version appears twice in the split \(VersionShare.describe(shares))")
        }
        let total = shares.reduce(0) { $0 + Int($1.percent) }
        guard total == 100 else { throw .badRequest("split percentages add up to \(total), not 100: \(VersionShare.describe(shares))") }
        self.init(checked: shares)
    }

    /// The versions that get traffic.
    public var servingVersions: [String] { shares.filter { $0.percent > 0 }.map(\.version) }

    /// The version for `userID`; "" when there is no split.
    public func version(for userID: String) -> String {
        guard !shares.isEmpty else { return "" }
        let bucket = Int(Self.hash(userID) % 100)
        var upper = 0
        for share in shares {
            upper += Int(share.percent)
            if bucket < upper { return share.version }
        }
        return shares[shares.count - 1].version
    }

    /// FNV-1a, 64 bits, over the id's UTF-8 bytes.
    static func hash(_ userID: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in userID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
