import Broker
import Clocks
import Logging
import ServiceRuntime
import Telemetry
import Wire
import ZeroMQ

/// The gateway's I/O loop: a client ROUTER and a worker ROUTER on one thread, performing what the
/// coordinator decides.
public final class GatewayServer: Sendable {
    /// Messages read from one socket per loop turn before the others get theirs.
    static let batch = 64
    let configuration: GatewayConfiguration
    let logger: Logger
    let telemetry: Telemetry

    public init(configuration: GatewayConfiguration, logger: Logger, telemetry: Telemetry = .off) {
        self.configuration = configuration
        self.logger = logger
        self.telemetry = telemetry
    }

    public func run(context: ZMQContext, stop: StopFlag) throws {
        // The ZAP handler must exist before a CURVE socket binds.
        let zap = try ZAPHandler.forServers(context: context, [configuration.clientCurve, configuration.workerCurve])
        let clients = try Socket.serverRouter(
            context, bind: configuration.clientBind, maxMessageSize: configuration.limits.hardMessageBytes, curve: configuration.clientCurve
        )
        let workers = try Socket.serverRouter(context, bind: configuration.workerBind, curve: configuration.workerCurve)
        let admin = try Socket.serverRouter(context, bind: configuration.adminBind, maxMessageSize: 1 << 20)
        for (endpoint, curve) in [("clients", configuration.clientCurve), ("workers", configuration.workerCurve)] {
            if let curve {
                logger.info(
                    "endpoint requires CURVE", metadata: ["endpoint": "\(endpoint)", "allowed-keys": "\(curve.allowedClients.count)"])
            }
        }
        logger.info(
            "gateway listening",
            metadata: [
                "clients": "\(clients.lastEndpoint)", "workers": "\(workers.lastEndpoint)", "admin": "\(admin.lastEndpoint)",
                "split": "\(VersionShare.describe(configuration.split.shares))",
            ])

        var coordinator = GatewayCoordinator(configuration: configuration, logger: logger)
        let metrics = GatewayMetrics(telemetry: telemetry)
        metrics.recordSplit(coordinator.split)
        var brokerRecordedAt = Instant.zero
        var operations = Operations(started: .now)
        var poller = Poller([clients, workers, admin] + (zap.map { [$0.socket] } ?? []))
        let tickMilliseconds = Int(min(configuration.broker.heartbeat, .milliseconds(10)).milliseconds)
        var replicaCounts: [String: Int] = [:]
        while !stop.isStopped {
            let ready = try poller.poll(timeoutMilliseconds: tickMilliseconds)
            var actions: [GatewayAction] = []
            // Replicas first, and at most a batch from each socket a turn (zmq_poll reports what is
            // left next time): a flood of client requests must not hold back replies and
            // heartbeats, or the broker would expire replicas whose heartbeats sat unread.
            if ready[1] {
                for _ in 0..<Self.batch {
                    guard let frames = try workers.receiveMessage(dontWait: true) else { break }
                    guard let envelope = RouterEnvelope(frames) else { continue }
                    actions += coordinator.workerMessage(envelope.body, from: envelope.identityBytes, now: .now)
                }
            }
            if ready[0] {
                for _ in 0..<Self.batch {
                    guard let frames = try clients.receiveMessage(dontWait: true) else { break }
                    guard let envelope = RouterEnvelope(frames) else { continue }
                    let address = ClientAddress(identity: envelope.identityBytes, delimiter: envelope.hasDelimiter)
                    actions += coordinator.clientMessage(envelope.body, from: address, now: .now)
                }
            }
            if ready[2] {
                while let frames = try admin.receiveMessage(dontWait: true), let envelope = RouterEnvelope(frames) {
                    let reply = operations.answer(envelope.body, coordinator: &coordinator, metrics: metrics, now: .now)
                    do { try admin.send(envelope.reply([reply]), dontWait: true) } catch {
                        logger.debug("admin client went away before its reply", metadata: ["error": "\(error)"])
                    }
                }
            }
            if let zap, ready.count > 3, ready[3] {
                for key in try zap.answerPending() {
                    logger.warning("refused a connection: its CURVE key is not allowed", metadata: ["client-key": "\(key)"])
                }
            }
            actions += coordinator.tick(now: .now)
            perform(actions, clients: clients, workers: workers, coordinator: &coordinator, metrics: metrics, operations: &operations)
            logReplicaChanges(coordinator, &replicaCounts)
            if Instant.now - brokerRecordedAt >= .milliseconds(200) {
                metrics.recordBroker(coordinator, services: configuration.services)
                brokerRecordedAt = .now
            }
        }
        logger.info("gateway stopped", metadata: ["abandoned-requests": "\(coordinator.pendingRequests)"])
    }

    /// One line per change in a service's live replica count (operators and the deploy test read it).
    private func logReplicaChanges(_ coordinator: GatewayCoordinator, _ counts: inout [String: Int]) {
        for service in configuration.services {
            let live = coordinator.liveWorkers(service: service)
            if counts[service] != live {
                counts[service] = live
                logger.notice("live replicas changed", metadata: ["service": "\(service)", "replicas": "\(live)"])
            }
        }
    }

    private func perform(
        _ actions: [GatewayAction], clients: Socket, workers: Socket, coordinator: inout GatewayCoordinator, metrics: GatewayMetrics,
        operations: inout Operations
    ) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .replyToClient(let client, let bytes, let outcome):
                metrics.record(outcome)
                operations.recent.record(outcome, now: .now)
                let frames = RouterEnvelope.reply(to: client.identity, delimiter: client.delimiter, [bytes])
                do { try clients.send(frames, dontWait: true) } catch {
                    logger.debug("client went away before its reply", metadata: ["error": "\(error)"])
                }
            case .sendRequest(let worker, let tag, let payload):
                if !send(to: worker, .request, [WorkerProtocol.tagBytes(tag), payload], on: workers) {
                    queue.append(contentsOf: coordinator.workerUnreachable(worker, now: .now))
                }
            case .sendHeartbeat(let worker):
                if !send(to: worker, .heartbeat, [], on: workers) {
                    queue.append(contentsOf: coordinator.workerUnreachable(worker, now: .now))
                }
            case .sendDisconnect(let worker):
                _ = send(to: worker, .disconnect, [], on: workers)
            }
        }
    }

    /// False when the worker cannot be reached (ROUTER_MANDATORY reports it instead of dropping).
    private func send(to worker: [UInt8], _ command: WorkerProtocol.Command, _ parts: [[UInt8]], on socket: Socket) -> Bool {
        do {
            try socket.send([Frame(worker)] + WorkerProtocol.frames(command, parts), dontWait: true)
            return true
        } catch {
            logger.warning("worker unreachable", metadata: ["error": "\(error)"])
            return false
        }
    }
}
