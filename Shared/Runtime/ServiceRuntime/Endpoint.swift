/// ZeroMQ endpoint helpers shared by the services' command lines.
public enum Endpoint {
    /// `host:port` or a full `tcp://…`/`ipc://…` endpoint, normalized to a ZeroMQ endpoint.
    public static func normalize(_ text: String) -> String {
        text.contains("://") ? text : "tcp://" + text
    }

    /// Splits a comma-separated endpoint list (for example one per embedding shard).
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { normalize(String($0).trimmingWhitespace()) }.filter { !$0.isEmpty }
    }
}

/// Where each service listens unless told otherwise: the one place these addresses are written.
///
/// Ports are laid out from the gateway's client port, so `recctl up --port P` shifts them all.
public enum DefaultEndpoints {
    public static let host = "127.0.0.1"
    public static let gatewayPort = 5555
    /// Offsets from the gateway's client port.
    public static let workersOffset = 1
    public static let adminOffset = 2
    public static let embeddingOffset = 5
    public static let pushOffset = 15

    public static func gatewayClients(host: String = host, port: Int = gatewayPort) -> String { "tcp://\(host):\(port)" }
    public static func gatewayWorkers(host: String = host, port: Int = gatewayPort) -> String {
        "tcp://\(host):\(port + workersOffset)"
    }
    /// The gateway's admin endpoint (`recctl status`, `recctl rollout`).
    public static func gatewayAdmin(host: String = host, port: Int = gatewayPort) -> String {
        "tcp://\(host):\(port + adminOffset)"
    }
    /// Embedding shard `shard`'s lookup endpoint.
    public static func embedding(shard: Int = 0, host: String = host, port: Int = gatewayPort) -> String {
        "tcp://\(host):\(port + embeddingOffset + shard)"
    }
    /// Embedding shard `shard`'s push endpoint (training only).
    public static func push(shard: Int = 0, host: String = host, port: Int = gatewayPort) -> String {
        "tcp://\(host):\(port + pushOffset + shard)"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
