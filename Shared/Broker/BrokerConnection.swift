import Glibc
import Logging
import Wire
import ZeroMQ

/// A worker's link to the broker: registration, heartbeats both ways, reconnection.
///
/// Owned by the worker's I/O thread. Reconnecting makes a new socket (a new identity), so the
/// broker sees a fresh worker and never confuses it with the one it expired.
struct BrokerConnection {
    let configuration: WorkerConfiguration
    let context: ZMQContext
    let logger: Logger
    private(set) var socket: Socket!
    private var brokerExpiresAt: Int64 = 0
    private var nextHeartbeatAt: Int64 = 0
    private var nextHealthWriteAt: Int64 = 0

    enum Outcome: Equatable {
        case request(tag: UInt64, payload: Frame)
        case reconnect
        case none

        static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            switch (lhs, rhs) {
            case (.reconnect, .reconnect), (.none, .none): true
            case (.request(let a, _), .request(let b, _)): a == b
            default: false
            }
        }
    }

    init(configuration: WorkerConfiguration, context: ZMQContext, logger: Logger) {
        self.configuration = configuration
        self.context = context
        self.logger = logger
    }

    static func nowMilliseconds() -> Int64 { Int64(MonotonicClock.nanoseconds() / 1_000_000) }

    mutating func connect() throws {
        let fresh = try Socket(context, .dealer)
        try fresh.setReconnectInterval(milliseconds: 100, max: 1_000)
        try fresh.setMaxMessageSize(256 << 20)
        try fresh.applyCurve(configuration.curve)
        try fresh.connect(configuration.brokerEndpoint)
        socket = fresh
        try send(.ready, [Array(configuration.service.utf8), Array(String(configuration.threads).utf8)])
        let now = Self.nowMilliseconds()
        brokerExpiresAt = now + configuration.heartbeatMilliseconds * configuration.liveness
        nextHeartbeatAt = now + configuration.heartbeatMilliseconds
        logger.info(
            "registered with broker",
            metadata: [
                "broker": "\(configuration.brokerEndpoint)", "service": "\(configuration.service)",
                "credits": "\(configuration.threads)",
            ])
    }

    func send(_ command: WorkerProtocol.Command, _ parts: [[UInt8]] = []) throws {
        try socket.send(WorkerProtocol.frames(command, parts))
    }

    /// Interprets one message from the broker.
    mutating func received(_ frames: [Frame]) -> Outcome {
        let now = Self.nowMilliseconds()
        brokerExpiresAt = now + configuration.heartbeatMilliseconds * configuration.liveness
        if let path = configuration.healthFile, now >= nextHealthWriteAt {
            HealthFile.touch(path)
            nextHealthWriteAt = now + 1_000
        }
        guard frames.count >= 2, frames[0].bytes == WorkerProtocol.header, frames[1].count == 1,
            let command = WorkerProtocol.Command(rawValue: frames[1].bytes[0])
        else {
            logger.warning("ignoring malformed message from broker", metadata: ["frames": "\(frames.count)"])
            return .none
        }
        switch command {
        case .request:
            guard frames.count == 4, let tag = WorkerProtocol.tag(from: frames[2]) else { return .none }
            return .request(tag: tag, payload: frames[3])
        case .disconnect:
            logger.warning("broker asked this worker to re-register")
            return .reconnect
        default:
            return .none
        }
    }

    /// Sends a heartbeat when due; asks for reconnection when the broker has gone quiet.
    mutating func tick() throws -> Outcome {
        let now = Self.nowMilliseconds()
        if now >= brokerExpiresAt {
            logger.warning("broker silent, reconnecting", metadata: ["broker": "\(configuration.brokerEndpoint)"])
            return .reconnect
        }
        if now >= nextHeartbeatAt {
            try send(.heartbeat)
            nextHeartbeatAt = now + configuration.heartbeatMilliseconds
        }
        return .none
    }
}

/// A file whose modification time is the last moment a replica heard from its broker.
public enum HealthFile {
    static func touch(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        close(fd)
        utimensat(AT_FDCWD, path, nil, 0)
    }

    /// Milliseconds since the file was last touched; nil when it does not exist.
    public static func ageMilliseconds(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let modified = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000 - modified
    }
}
