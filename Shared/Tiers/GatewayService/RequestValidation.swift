import ServiceRuntime
import Wire

/// Checks a client's Recommend request before any tier does work for it (with the same wording of
/// each limit the tiers behind it use).
enum RequestValidation {
    static func check(_ request: RecommendRequest, limits: Limits) -> ServiceError? {
        if let problem = limits.checkUserID(request.userID) ?? limits.checkHistory(count: request.history.count)
            ?? limits.checkK(request.k)
        {
            return problem
        }
        if request.allItems && !request.candidates.isEmpty {
            return .badRequest("give either candidate ids or all_items, not both")
        }
        if !request.allItems && request.candidates.isEmpty {
            return .badRequest("no candidates: give candidate ids or set all_items")
        }
        if let problem = limits.checkCandidates(count: request.candidates.count) { return problem }
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
