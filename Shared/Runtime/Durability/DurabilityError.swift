/// A failure to read or write durable state, with the file and the operation that failed.
public struct DurabilityError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let reason: String

    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}
