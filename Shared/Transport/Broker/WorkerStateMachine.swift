import Clocks
import ZeroMQ

/// A replica's side of the broker protocol: registration, heartbeats both ways, reconnection with
/// backoff, and a clean goodbye, free of sockets, clocks and files so every path is testable.
///
/// The I/O loop feeds it events with `now` and performs the actions it returns. Reconnecting means
/// a new socket (a new identity), so the broker sees a fresh worker and never confuses it with the
/// one it expired. While the broker stays silent, attempts back off exponentially (the broker may
/// be restarting; a fleet of replicas should not hammer it in lockstep).
public struct WorkerStateMachine {
    public struct Configuration: Sendable {
        public var heartbeat = WorkerProtocol.defaultHeartbeat
        /// Heartbeats from the broker missed before this worker gives up on the connection.
        public var liveness = WorkerProtocol.defaultLiveness
        /// Wait before the first reconnection after the broker went silent; doubles with every
        /// further silent attempt, up to `maxReconnectDelay`.
        public var reconnectDelay: Duration = .milliseconds(100)
        public var maxReconnectDelay: Duration = .seconds(2)
        /// Whether to touch a health file while the broker is heard, and at most how often.
        public var healthFileInterval: Duration?

        public init() {}
        public var expiry: Duration { heartbeat * liveness }
    }

    /// What the I/O loop must do after an event, in order.
    public enum Action: Equatable {
        /// Open a fresh socket to the broker and send READY.
        case connect
        /// Close the socket and drop jobs queued for it (the broker re-dispatches them).
        case closeConnection
        case sendHeartbeat
        /// Tell the broker this worker is leaving (on shutdown).
        case sendDisconnect
        /// Hand a job to a compute thread.
        case deliver(tag: UInt64, payload: Frame)
        /// Mark the health file: the broker was heard just now.
        case touchHealthFile

        public static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.connect, .connect), (.closeConnection, .closeConnection), (.sendHeartbeat, .sendHeartbeat),
                (.sendDisconnect, .sendDisconnect), (.touchHealthFile, .touchHealthFile):
                true
            case (.deliver(let a, let x), .deliver(let b, let y)): a == b && x.bytes == y.bytes
            default: false
            }
        }
    }

    public enum State: Equatable {
        case idle
        case connected(brokerExpiresAt: Instant, nextHeartbeatAt: Instant)
        case backingOff(until: Instant)
        case stopped
    }

    public let configuration: Configuration
    public private(set) var state: State = .idle
    /// Connections in a row that never heard from the broker; sets the backoff.
    public private(set) var silentAttempts = 0
    private var nextHealthTouchAt: Instant?

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    // MARK: Events

    public mutating func start(now: Instant) -> [Action] {
        guard state == .idle else { return [] }
        return connect(now: now)
    }

    /// A message from the broker; nil when its frames were malformed (ignored, but proof of life).
    public mutating func received(_ message: BrokerMessage?, now: Instant) -> [Action] {
        guard case .connected(_, let nextHeartbeatAt) = state else { return [] }
        state = .connected(brokerExpiresAt: now + configuration.expiry, nextHeartbeatAt: nextHeartbeatAt)
        silentAttempts = 0
        var actions: [Action] = []
        if let interval = configuration.healthFileInterval, nextHealthTouchAt.map({ now >= $0 }) ?? true {
            actions.append(.touchHealthFile)
            nextHealthTouchAt = now + interval
        }
        switch message {
        case .request(let tag, let payload): actions.append(.deliver(tag: tag, payload: payload))
        case .disconnect:
            // The broker is alive but does not know this worker (it restarted, or expired it): register again at once.
            actions += [.closeConnection] + connect(now: now)
        case .heartbeat, nil: break
        }
        return actions
    }

    /// Timers: heartbeats when due, and reconnection when the broker has gone quiet.
    public mutating func tick(now: Instant) -> [Action] {
        switch state {
        case .connected(let expiresAt, _) where now >= expiresAt:
            silentAttempts += 1
            state = .backingOff(until: now + backoff)
            return [.closeConnection]
        case .connected(let expiresAt, let nextHeartbeatAt) where now >= nextHeartbeatAt:
            state = .connected(brokerExpiresAt: expiresAt, nextHeartbeatAt: now + configuration.heartbeat)
            return [.sendHeartbeat]
        case .backingOff(let until) where now >= until:
            return connect(now: now)
        default:
            return []
        }
    }

    /// Shutdown: say goodbye if connected (the socket goes with the process); nothing happens after this.
    public mutating func stop(now: Instant) -> [Action] {
        defer { state = .stopped }
        guard case .connected = state else { return [] }
        return [.sendDisconnect]
    }

    // MARK: Queries

    /// How long the loop may sleep before the next timer is due.
    public func timeUntilNextTimer(now: Instant) -> Duration {
        let due: Instant
        switch state {
        case .connected(let expiresAt, let nextHeartbeatAt): due = min(expiresAt, nextHeartbeatAt)
        case .backingOff(let until): due = until
        case .idle, .stopped: return configuration.heartbeat
        }
        return max(.zero, due - now)
    }

    /// The wait after the current run of silent attempts.
    var backoff: Duration {
        let doublings = min(max(silentAttempts - 1, 0), 30)
        return min(configuration.reconnectDelay * (1 << doublings), configuration.maxReconnectDelay)
    }

    // MARK: Private

    private mutating func connect(now: Instant) -> [Action] {
        state = .connected(brokerExpiresAt: now + configuration.expiry, nextHeartbeatAt: now + configuration.heartbeat)
        return [.connect]
    }
}
