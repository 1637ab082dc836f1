import Broker
import ServiceRuntime
import ZeroMQ

/// Settings of a replica (history-encoder or scorer) that registers with the gateway's broker.
public struct WorkerConfiguration: Sendable {
    /// The gateway's worker endpoint (not its client endpoint).
    public var brokerEndpoint = DefaultEndpoints.gatewayWorkers()
    public var service: String
    /// Compute threads; also the credits announced in READY.
    public var threads: Int = 1
    /// Heartbeats, liveness and reconnection backoff.
    public var protocolTimers = WorkerStateMachine.Configuration()
    /// Rewritten while the broker is heard, so its age says whether this replica is registered
    /// with a live gateway.
    public var healthFile: String?
    /// CURVE to the gateway's worker endpoint, when it requires it.
    public var curve: CurveClientSettings?

    public init(service: String) {
        self.service = service
    }
}
