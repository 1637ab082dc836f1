import ZeroMQ

/// Frames between the gateway's broker and encoder/scorer replicas (Majordomo-style).
///
/// ```
/// worker -> broker:  ["RSW1", READY,      service, credits]
///                    ["RSW1", REPLY,      tag(8 bytes LE), payload]
///                    ["RSW1", HEARTBEAT]
///                    ["RSW1", HEARTBEAT,  status]      (status: the replica's state, opaque here)
///                    ["RSW1", DISCONNECT]
/// broker -> worker:  ["RSW1", REQUEST,    tag(8 bytes LE), payload]
///                    ["RSW1", HEARTBEAT]
///                    ["RSW1", DISCONNECT]
/// ```
/// (On the broker's ROUTER each message is preceded by the worker's routing identity.)
/// `credits` is how many requests the worker takes at once; `tag` pairs a reply with its request.
public enum WorkerProtocol {
    public static let header: [UInt8] = Array("RSW1".utf8)

    /// How often each side sends a heartbeat when it has nothing else to say. Both sides must
    /// agree, so this is the one default every flag and configuration takes.
    public static let defaultHeartbeat: Duration = .milliseconds(250)
    /// Heartbeats missed before the other side is declared gone.
    public static let defaultLiveness = 4
    /// Longest service name a worker may register.
    public static let maxServiceNameBytes = 64
    /// Most requests one worker may take at once.
    public static let maxCredits = 1_024
    /// Largest status a heartbeat may carry.
    public static let maxStatusBytes = 4_096

    public enum Command: UInt8, Sendable {
        case ready = 1, request = 2, reply = 3, heartbeat = 4, disconnect = 5
    }

    public static func frames(_ command: Command, _ parts: [[UInt8]] = []) -> [Frame] {
        [Frame(header), Frame([command.rawValue])] + parts.map(Frame.init)
    }

    public static func tagBytes(_ tag: UInt64) -> [UInt8] {
        withUnsafeBytes(of: tag.littleEndian) { Array($0) }
    }

    public static func tag(from frame: Frame) -> UInt64? {
        guard frame.count == 8 else { return nil }
        return frame.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// The command of a message whose first two frames are the header and a known command byte.
    static func command(of frames: [Frame]) -> Command? {
        guard frames.count >= 2, frames[0].bytes == header, frames[1].count == 1 else { return nil }
        return Command(rawValue: frames[1].bytes[0])
    }
}

/// What a worker sent, once its frames check out.
public enum WorkerMessage {
    case ready(service: String, credits: Int)
    case reply(tag: UInt64, payload: Frame)
    case heartbeat
    /// A heartbeat that carries the replica's status (kept by the broker for operators).
    case statusHeartbeat([UInt8])
    case disconnect

    /// Parses body frames (identity already removed); nil for anything malformed.
    public init?(_ frames: [Frame]) {
        guard let command = WorkerProtocol.command(of: frames) else { return nil }
        switch (command, frames.count) {
        case (.heartbeat, 3):
            guard frames[2].count <= WorkerProtocol.maxStatusBytes else { return nil }
            self = .statusHeartbeat(frames[2].bytes)
        case (.ready, 4):
            guard let credits = Int(frames[3].string), (1...WorkerProtocol.maxCredits).contains(credits),
                (1...WorkerProtocol.maxServiceNameBytes).contains(frames[2].count)
            else { return nil }
            self = .ready(service: frames[2].string, credits: credits)
        case (.reply, 4):
            guard let tag = WorkerProtocol.tag(from: frames[2]) else { return nil }
            self = .reply(tag: tag, payload: frames[3])
        case (.heartbeat, 2): self = .heartbeat
        case (.disconnect, 2): self = .disconnect
        default: return nil
        }
    }
}

/// What the broker sent a worker, once its frames check out.
public enum BrokerMessage {
    case request(tag: UInt64, payload: Frame)
    case heartbeat
    case disconnect

    /// Parses a message from the broker; nil for anything malformed.
    public init?(_ frames: [Frame]) {
        guard let command = WorkerProtocol.command(of: frames) else { return nil }
        switch (command, frames.count) {
        case (.request, 4):
            guard let tag = WorkerProtocol.tag(from: frames[2]) else { return nil }
            self = .request(tag: tag, payload: frames[3])
        case (.heartbeat, 2): self = .heartbeat
        case (.disconnect, 2): self = .disconnect
        default: return nil
        }
    }
}
