import Broker
import Wire

/// Who sent a client request, so the reply can be routed back.
public struct ClientAddress: Hashable, Sendable {
    public var identity: [UInt8]
    public var delimiter: Bool

    public init(identity: [UInt8], delimiter: Bool) {
        self.identity = identity
        self.delimiter = delimiter
    }
}

/// What an answered request tells the metrics: its outcome, the version that served it, and where
/// its time went. Carried by the reply action, so the coordinator stays free of side effects.
public struct RequestOutcome: Equatable, Sendable {
    /// "OK", "DEGRADED" (a kept answer under overload), or the error code's name.
    public var code: String
    public var modelVersion: String
    public var timings: [TierTiming]

    public init(code: String, modelVersion: String = "", timings: [TierTiming] = []) {
        self.code = code
        self.modelVersion = modelVersion
        self.timings = timings
    }
}

/// What the gateway's I/O loop must do; the coordinator decides, the loop only performs.
public enum GatewayAction: Equatable {
    case replyToClient(ClientAddress, [UInt8], RequestOutcome)
    case sendRequest(worker: BrokerStateMachine.WorkerID, tag: UInt64, payload: [UInt8])
    case sendHeartbeat(worker: BrokerStateMachine.WorkerID)
    case sendDisconnect(worker: BrokerStateMachine.WorkerID)
}
