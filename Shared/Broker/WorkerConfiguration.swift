import ZeroMQ

/// Settings of a replica (history-encoder or scorer) that registers with the gateway's broker.
public struct WorkerConfiguration: Sendable {
    /// The gateway's worker endpoint (not its client endpoint).
    public var brokerEndpoint: String
    public var service: String
    /// Compute threads; also the credits announced in READY.
    public var threads: Int = 1
    public var heartbeatMilliseconds: Int64 = 250
    /// Heartbeats from the broker missed before reconnecting.
    public var liveness: Int64 = 4
    /// Rewritten on every message from the broker, so its age says whether this replica is
    /// registered with a live gateway.
    public var healthFile: String?
    /// CURVE to the gateway's worker endpoint, when it requires it.
    public var curve: CurveClientSettings?

    public init(brokerEndpoint: String, service: String) {
        self.brokerEndpoint = brokerEndpoint
        self.service = service
    }
}

/// Turns one request payload into one reply payload; runs on a compute thread it owns.
///
/// Implementations decode, validate and compute, and always return a reply (an error reply when
/// anything is wrong); they never throw, so no request is answered with silence.
public protocol RequestHandler: AnyObject {
    func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8]
}
