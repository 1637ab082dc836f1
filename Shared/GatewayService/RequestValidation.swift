import ServiceRuntime
import Wire

/// Checks a client's Recommend request before any tier does work for it.
enum RequestValidation {
    static func check(_ request: RecommendRequest, limits: Limits) -> ServiceError? {
        if request.userID.utf8.count > limits.maxUserIDBytes {
            return .badRequest("user id of \(request.userID.utf8.count) bytes exceeds the limit of \(limits.maxUserIDBytes)")
        }
        if request.history.isEmpty {
            return .badRequest("history is empty: give at least one item id (oldest first)")
        }
        if request.history.count > limits.maxHistory {
            return .badRequest("history of \(request.history.count) items exceeds the limit of \(limits.maxHistory)")
        }
        if request.k <= 0 || Int(request.k) > limits.maxK {
            return .badRequest("k must be in 1...\(limits.maxK), got \(request.k)")
        }
        if request.allItems && !request.candidates.isEmpty {
            return .badRequest("give either candidate ids or all_items, not both")
        }
        if !request.allItems && request.candidates.isEmpty {
            return .badRequest("no candidates: give candidate ids or set all_items")
        }
        if request.candidates.count > limits.maxCandidates {
            return .badRequest("\(request.candidates.count) candidates exceed the limit of \(limits.maxCandidates)")
        }
        let negative = (request.history + request.candidates).filter { $0 < 0 }
        if !negative.isEmpty {
            return ServiceError(.notFound, "item ids cannot be negative: \(Array(Set(negative)).sorted().prefix(20))", ids: negative)
        }
        return nil
    }

    /// Candidate ids the model does not have (known only once the encoder reports the item count).
    static func unknownCandidates(_ request: RecommendRequest, itemCount: Int) -> ServiceError? {
        let unknown = request.candidates.filter { $0 >= Int64(itemCount) }
        return unknown.isEmpty ? nil : .unknownItems(Array(Set(unknown)).sorted(), itemCount: itemCount)
    }
}
