import Wire

/// The one wording of each limit's error, shared by the gateway and every tier behind it.
extension Limits {
    public func checkMessage(bytes: Int, limit: Int? = nil) -> ServiceError? {
        let limit = limit ?? messageBytes
        return bytes <= limit ? nil : .badRequest("request of \(bytes) bytes exceeds the \(limit)-byte limit")
    }

    public func checkUserID(_ userID: String) -> ServiceError? {
        let bytes = userID.utf8.count
        return bytes <= maxUserIDBytes ? nil : .badRequest("user id of \(bytes) bytes exceeds the limit of \(maxUserIDBytes)")
    }

    public func checkHistory(count: Int) -> ServiceError? {
        if count == 0 { return .badRequest("history is empty: give at least one item id (oldest first)") }
        return count <= maxHistory ? nil : .badRequest("history of \(count) items exceeds the limit of \(maxHistory)")
    }

    public func checkK(_ k: Int32) -> ServiceError? {
        k >= 1 && Int(k) <= maxK ? nil : .badRequest("k must be in 1...\(maxK), got \(k)")
    }

    public func checkCandidates(count: Int) -> ServiceError? {
        count <= maxCandidates ? nil : .badRequest("\(count) candidates exceed the limit of \(maxCandidates)")
    }

    public func checkRows(count: Int, what: String) -> ServiceError? {
        count <= maxLookupIDs ? nil : .badRequest("\(count) \(what) exceed the \(maxLookupIDs)-row limit per request")
    }

    public func checkVersion(_ version: String) -> ServiceError? {
        let bytes = version.utf8.count
        return bytes <= maxVersionBytes ? nil : .badRequest("model version of \(bytes) bytes exceeds the limit of \(maxVersionBytes)")
    }
}

/// Why a request is answered with an error before any work: the error and the id to answer with
/// (0 when the bytes could not be decoded).
public struct RequestRejection: Error, Sendable {
    public var requestID: UInt64
    public var error: ServiceError

    @usableFromInline init(requestID: UInt64, error: ServiceError) { (self.requestID, self.error) = (requestID, error) }
}

/// The start of every handler: size check, decode, deadline. Returns the request, or the
/// rejection to answer with (the request id is 0 when the bytes could not be decoded).
public enum RequestPreamble {
    /// Inlinable so each handler gets a copy specialized to its message type: it runs on every
    /// request, and an unspecialized generic call costs a metadata lookup each time.
    @inlinable
    public static func open<Request: ServiceRequest>(
        _ bytes: UnsafeRawBufferPointer, as: Request.Type, limits: Limits, sizeLimit: Int? = nil, stage: String
    ) -> Result<Request, RequestRejection> {
        if let problem = limits.checkMessage(bytes: bytes.count, limit: sizeLimit) {
            return .failure(RequestRejection(requestID: 0, error: problem))
        }
        let request: Request
        do {
            request = try Request(decoding: bytes)
        } catch {
            return .failure(RequestRejection(requestID: 0, error: error.asServiceError))
        }
        if let deadline = request.header.deadline, deadline.hasPassed {
            return .failure(
                RequestRejection(requestID: request.header.requestID, error: .deadlineExceeded("deadline passed before \(stage)")))
        }
        return .success(request)
    }
}
