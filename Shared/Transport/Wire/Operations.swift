/// Messages for operating a running suite: replica status in heartbeats, and the gateway's admin
/// endpoint (`recctl status`, `recctl rollout`).

/// A replica's state, sent with its heartbeats.
public struct ReplicaStatus: Sendable, Equatable {
    /// Model versions held, oldest first.
    public var versions: [String] = []
    public var requests: UInt64 = 0
    public var failures: UInt64 = 0
    public var cacheHits: UInt64 = 0
    public var cacheMisses: UInt64 = 0
    public var busy: UInt32 = 0

    public init() {}
}

/// One version's share of the traffic, in percent.
public struct VersionShare: Sendable, Equatable, Hashable {
    public var version: String
    public var percent: UInt32

    public init(version: String, percent: UInt32) {
        self.version = version
        self.percent = percent
    }

    /// Parses "trained-7=90,trained-8=10" (the `--split` flag's form).
    public static func parse(_ text: String) throws(ServiceError) -> [VersionShare] {
        try text.split(separator: ",").map { (part: Substring) throws(ServiceError) -> VersionShare in
            let pieces = part.filter { !$0.isWhitespace }.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, !pieces[0].isEmpty, let percent = UInt32(pieces[1]) else {
                throw .badRequest("'\(part)' is not VERSION=PERCENT (for example trained-7=90,trained-8=10)")
            }
            return VersionShare(version: String(pieces[0]), percent: percent)
        }
    }

    /// The `--split` form of a split.
    public static func describe(_ split: [VersionShare]) -> String {
        split.map { "\($0.version)=\($0.percent)" }.joined(separator: ",")
    }
}

/// An admin request to the gateway: its status, or a new traffic split.
public struct AdminRequest: Sendable, Equatable {
    public enum Command: Sendable, Equatable {
        case status
        case setSplit([VersionShare])
    }

    public var requestID: UInt64
    public var command: Command

    public init(requestID: UInt64, command: Command) {
        self.requestID = requestID
        self.command = command
    }
}

/// One registered replica as the gateway sees it.
public struct ReplicaInfo: Sendable, Equatable {
    public var service: String
    public var id: String
    public var credits: UInt32
    public var outstanding: UInt32
    /// From its last heartbeat; nil until one carried a status.
    public var status: ReplicaStatus?

    public init(service: String, id: String, credits: UInt32, outstanding: UInt32, status: ReplicaStatus?) {
        (self.service, self.id, self.credits, self.outstanding, self.status) = (service, id, credits, outstanding, status)
    }
}

/// What the gateway answered over a recent window, for one model version ("*": all).
public struct WindowStats: Sendable, Equatable {
    public var modelVersion: String
    public var requests: UInt64
    public var failures: UInt64
    public var p50Micros: UInt32
    public var p99Micros: UInt32

    public init(modelVersion: String, requests: UInt64, failures: UInt64, p50Micros: UInt32, p99Micros: UInt32) {
        (self.modelVersion, self.requests, self.failures) = (modelVersion, requests, failures)
        (self.p50Micros, self.p99Micros) = (p50Micros, p99Micros)
    }
}

public struct GatewayStatus: Sendable, Equatable {
    public var replicas: [ReplicaInfo] = []
    public var split: [VersionShare] = []
    public var windowSeconds: Double = 0
    /// All versions together ("*") first, then one entry per version.
    public var window: [WindowStats] = []
    public var pendingRequests: UInt32 = 0
    public var requestsTotal: UInt64 = 0
    public var uptimeSeconds: Double = 0

    public init() {}
}

public struct AdminReply: Sendable, Equatable {
    public var requestID: UInt64
    public var result: Result<GatewayStatus, ServiceError>

    public init(requestID: UInt64, result: Result<GatewayStatus, ServiceError>) {
        self.requestID = requestID
        self.result = result
    }
}
