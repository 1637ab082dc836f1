/// Size and count limits enforced on every request before any work is done.
///
/// Two layers: libzmq's ZMQ_MAXMSGSIZE (`hardMessageBytes`) disconnects a peer that sends more, which
/// protects memory but cannot answer; below it, `messageBytes` is checked by the service, which
/// replies with a BAD_REQUEST naming the limit.
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
}
