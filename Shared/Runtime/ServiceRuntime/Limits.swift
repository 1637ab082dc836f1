/// Size and count limits enforced on every request before any work is done.
///
/// Two layers: libzmq's ZMQ_MAXMSGSIZE (`hardMessageBytes`) disconnects a peer that sends more, which
/// protects memory but cannot answer; below it, `messageBytes` is checked by the service, which
/// replies with a BAD_REQUEST naming the limit. Every tier takes the same flags (`LimitOptions`), so
/// a limit raised at the gateway can be raised at the replicas behind it.
public struct Limits: Sendable, Equatable {
    public var messageBytes: Int = 8 << 20
    public var hardMessageBytes: Int64 = 64 << 20
    public var maxHistory: Int = 10_000
    public var maxCandidates: Int = 100_000
    public var maxK: Int = 1_000
    public var maxLookupIDs: Int = 200_000
    /// User ids are cache keys, so long ones would let a client grow the caches' memory.
    public var maxUserIDBytes: Int = 256
    /// Model version names travel in every lookup and reply.
    public var maxVersionBytes: Int = 128

    public init() {}

    /// A scorer request carries every layer's history keys and values besides the candidates, so
    /// it may be this many times the client-facing message limit.
    public static let scoreRequestFactor = 4
}
