import ArgumentParser

/// The request limits as flags, for every tier: raising a limit at the gateway needs the same
/// flag on the replicas behind it, or they refuse what the gateway let through.
public struct LimitOptions: ParsableArguments {
    @Option(help: "Largest k a client may ask for.")
    public var maxK = Limits().maxK
    @Option(help: "Most candidate ids in one request.")
    public var maxCandidates = Limits().maxCandidates
    @Option(help: "Most history ids in one request (the model keeps its latest ones).")
    public var maxHistory = Limits().maxHistory
    @Option(help: "Largest request answered (larger ones get a BAD_REQUEST reply), in bytes.")
    public var maxRequestBytes = Limits().messageBytes
    @Option(help: "Messages larger than this make libzmq drop the connection (ZMQ_MAXMSGSIZE), in bytes.")
    public var hardMaxMessageBytes = Limits().hardMessageBytes

    public init() {}

    public func validate() throws {
        guard maxK >= 1, maxCandidates >= 1, maxHistory >= 1, maxRequestBytes >= 1 else {
            throw ValidationError("--max-k, --max-candidates, --max-history and --max-request-bytes must be at least 1")
        }
        guard Int64(maxRequestBytes) <= hardMaxMessageBytes else {
            throw ValidationError(
                "--max-request-bytes (\(maxRequestBytes)) must not exceed --hard-max-message-bytes (\(hardMaxMessageBytes))")
        }
    }

    public var limits: Limits {
        var limits = Limits()
        limits.maxK = maxK
        limits.maxCandidates = maxCandidates
        limits.maxHistory = maxHistory
        limits.messageBytes = maxRequestBytes
        limits.hardMessageBytes = hardMaxMessageBytes
        return limits
    }
}
