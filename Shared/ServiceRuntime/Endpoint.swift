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

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
