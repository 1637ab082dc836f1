import Broker
import Clocks
import Logging
import ServiceRuntime
import ZeroMQ

/// The socket half of a worker's link to the broker: performs what `WorkerStateMachine` decides.
///
/// Owned by the worker's I/O thread. Every decision (when to heartbeat, when to give up on a
/// silent broker, how long to back off) is the state machine's; this only opens, sends, closes
/// and touches the health file.
final class BrokerConnection {
    let configuration: WorkerConfiguration
    let context: ZMQContext
    let logger: Logger
    private(set) var socket: Socket?
    private(set) var machine: WorkerStateMachine
    /// The replica's status for heartbeats, given how many compute threads are busy.
    let status: ((Int) -> [UInt8])?
    /// Compute threads busy now (the runtime keeps it current).
    var busy = 0

    init(configuration: WorkerConfiguration, context: ZMQContext, logger: Logger, status: ((Int) -> [UInt8])? = nil) {
        self.status = status
        self.configuration = configuration
        self.context = context
        self.logger = logger
        machine = WorkerStateMachine(configuration: configuration.protocolTimers)
    }

    /// Jobs the broker handed over, in order, after performing everything else an event asked for.
    typealias Delivery = (tag: UInt64, payload: Frame)

    func start(now: Instant) throws -> [Delivery] { try perform(machine.start(now: now)) }
    func tick(now: Instant) throws -> [Delivery] { try perform(machine.tick(now: now)) }
    func stop(now: Instant) { _ = try? perform(machine.stop(now: now)) }

    /// Reads every waiting message from the broker.
    func receiveAll(now: Instant) throws -> [Delivery] {
        var deliveries: [Delivery] = []
        while let socket, let frames = try socket.receiveMessage(dontWait: true) {
            let message = BrokerMessage(frames)
            if message == nil {
                logger.warning("ignoring malformed message from broker", metadata: ["frames": "\(frames.count)"])
            }
            let closedBefore = closures
            let more = try perform(machine.received(message, now: now))
            // Jobs of a closed registration are the broker's to re-dispatch.
            deliveries = closures == closedBefore ? deliveries + more : more
        }
        return deliveries
    }

    func sendReply(tag: UInt64, payload: Frame) throws {
        try socket?.send(WorkerProtocol.frames(.reply, [WorkerProtocol.tagBytes(tag)]) + [payload])
    }

    /// Connections closed so far; a change tells the runtime to drop jobs queued for the old one.
    private(set) var closures = 0

    private func perform(_ actions: [WorkerStateMachine.Action]) throws -> [Delivery] {
        var deliveries: [Delivery] = []
        for action in actions {
            switch action {
            case .connect: try connect()
            case .closeConnection:
                if case .backingOff(let until) = machine.state {
                    logger.warning(
                        "broker silent, reconnecting",
                        metadata: [
                            "broker": "\(configuration.brokerEndpoint)", "attempt": "\(machine.silentAttempts)",
                            "backoff-ms": "\((until - Instant.now).milliseconds)",
                        ])
                } else if case .connected = machine.state {
                    logger.warning("broker asked this worker to re-register")
                }
                socket = nil
                closures += 1
                deliveries.removeAll()
            case .sendHeartbeat: try socket?.send(WorkerProtocol.frames(.heartbeat, status.map { [$0(busy)] } ?? []))
            case .sendDisconnect: try socket?.send(WorkerProtocol.frames(.disconnect))
            case .deliver(let tag, let payload): deliveries.append((tag, payload))
            case .touchHealthFile: if let path = configuration.healthFile { HealthFile.touch(path) }
            }
        }
        return deliveries
    }

    /// A fresh socket (a new identity) and READY.
    private func connect() throws {
        let fresh = try Socket(context, .dealer)
        try fresh.setReconnectInterval(milliseconds: 100, max: 1_000)
        try fresh.setMaxMessageSize(256 << 20)
        try fresh.applyCurve(configuration.curve)
        try fresh.connect(configuration.brokerEndpoint)
        try fresh.send(
            WorkerProtocol.frames(.ready, [Array(configuration.service.utf8), Array(String(configuration.threads).utf8)]))
        socket = fresh
        logger.info(
            "registered with broker",
            metadata: [
                "broker": "\(configuration.brokerEndpoint)", "service": "\(configuration.service)",
                "credits": "\(configuration.threads)",
            ])
    }
}
