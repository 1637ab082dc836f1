/// A message as a ROUTER sees it: the peer's routing identity, an optional empty delimiter (REQ
/// peers send one, DEALER peers need not), then the body frames.
///
/// Replies go back with the same identity and delimiter, so REQ and DEALER clients both work.
public struct RouterEnvelope {
    public let identity: Frame
    public let hasDelimiter: Bool
    public let body: [Frame]

    /// nil when there is not even an identity frame (cannot happen on a ROUTER, guarded anyway).
    public init?(_ frames: [Frame]) {
        guard let first = frames.first else { return nil }
        identity = first
        var rest = frames.dropFirst()
        hasDelimiter = rest.first?.count == 0
        if hasDelimiter { rest = rest.dropFirst() }
        body = Array(rest)
    }

    public var identityBytes: [UInt8] { identity.bytes }

    /// Frames that route `parts` back to the same peer.
    public func reply(_ parts: [[UInt8]]) -> [Frame] {
        Self.reply(to: identity.bytes, delimiter: hasDelimiter, parts)
    }

    public static func reply(to identity: [UInt8], delimiter: Bool, _ parts: [[UInt8]]) -> [Frame] {
        [Frame(identity)] + (delimiter ? [Frame()] : []) + parts.map(Frame.init)
    }
}
