import Broker

/// Who sent a client request, so the reply can be routed back.
public struct ClientAddress: Hashable, Sendable {
    public var identity: [UInt8]
    public var delimiter: Bool

    public init(identity: [UInt8], delimiter: Bool) {
        self.identity = identity
        self.delimiter = delimiter
    }
}

/// What the gateway's I/O loop must do; the coordinator decides, the loop only performs.
public enum GatewayAction: Equatable {
    case replyToClient(ClientAddress, [UInt8])
    case sendRequest(worker: BrokerStateMachine.WorkerID, tag: UInt64, payload: [UInt8])
    case sendHeartbeat(worker: BrokerStateMachine.WorkerID)
    case sendDisconnect(worker: BrokerStateMachine.WorkerID)
}
