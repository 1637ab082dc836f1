/// Why a request failed, in the form it travels on the wire (`recserve.v1.Error`).
///
/// Every tier maps its failures to one of these codes at its edge, so a client always learns what
/// went wrong and whether retrying can help.
public struct ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Int32, Sendable, CaseIterable {
        case badRequest = 1
        case notFound = 2
        case overloaded = 3
        case deadlineExceeded = 4
        case unavailable = 5
        case `internal` = 6
        case modelVersionUnavailable = 7

        public var name: String {
            switch self {
            case .badRequest: "BAD_REQUEST"
            case .notFound: "NOT_FOUND"
            case .overloaded: "OVERLOADED"
            case .deadlineExceeded: "DEADLINE_EXCEEDED"
            case .unavailable: "UNAVAILABLE"
            case .internal: "INTERNAL"
            case .modelVersionUnavailable: "MODEL_VERSION_UNAVAILABLE"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The item ids the error is about (unknown ids, for example).
    public var ids: [Int64]

    public init(_ code: Code, _ message: String, ids: [Int64] = []) {
        self.code = code
        self.message = message
        self.ids = ids
    }

    public var description: String { "\(code.name): \(message)" }

    public static func badRequest(_ message: String) -> ServiceError { .init(.badRequest, message) }
    public static func deadlineExceeded(_ message: String) -> ServiceError { .init(.deadlineExceeded, message) }
    public static func unavailable(_ message: String) -> ServiceError { .init(.unavailable, message) }
    public static func `internal`(_ message: String) -> ServiceError { .init(.internal, message) }

    public static func versionUnavailable(_ version: String, held: [String]) -> ServiceError {
        .init(.modelVersionUnavailable, "model version \(version) is not loaded here (holding: \(held.joined(separator: ", ")))")
    }

    /// Item ids found negative anywhere in a request: malformed, not unknown. Up to 20 are named in
    /// the message (all are in `ids`); give them distinct and sorted.
    public static func negativeItems(_ ids: [Int64]) -> ServiceError {
        .init(.badRequest, "item ids cannot be negative: \(ids.prefix(20))", ids: ids)
    }

    /// Unknown item ids, naming up to 20 of them in the message (all are in `ids`).
    public static func unknownItems(_ ids: [Int64], itemCount: Int) -> ServiceError {
        let shown = ids.prefix(20).map(String.init).joined(separator: ", ")
        let more = ids.count > 20 ? " and \(ids.count - 20) more" : ""
        return .init(.notFound, "unknown item ids [\(shown)\(more)]: valid ids are 0..<\(itemCount)", ids: ids)
    }
}

/// Bytes that do not decode as the expected message.
public struct WireError: Error, CustomStringConvertible, Sendable {
    public let messageType: String
    public let byteCount: Int
    public let reason: String

    public var description: String {
        "malformed \(messageType) (\(byteCount) bytes): \(reason)"
    }

    public var asServiceError: ServiceError { .badRequest(description) }
}

extension ServiceError {
    /// The wire form of any error caught at a service's edge (decoders' errors become BAD_REQUEST).
    public init(_ error: any Error) {
        switch error {
        case let error as ServiceError: self = error
        case let error as WireError: self = error.asServiceError
        default: self = .internal("\(error)")
        }
    }
}
