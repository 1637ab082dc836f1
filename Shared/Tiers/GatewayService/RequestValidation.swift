import ServiceRuntime
import Wire

/// Checks a client's Recommend request before any tier does work for it (with the same wording of
/// each limit the tiers behind it use).
enum RequestValidation {
    static func check(_ request: RecommendRequest, limits: Limits, maxBeam: Int) -> ServiceError? {
        if let problem = limits.checkUserID(request.userID) ?? limits.checkHistory(count: request.history.count)
            ?? limits.checkK(request.k)
        {
            return problem
        }
        let unlisted = request.allItems || request.retrieval != .default
        if unlisted && !request.candidates.isEmpty {
            return .badRequest("give either candidate ids or all_items / a retrieval mode, not both")
        }
        if !unlisted && request.candidates.isEmpty {
            return .badRequest("no candidates: give candidate ids, set all_items, or ask for retrieval generative")
        }
        if request.allItems && request.retrieval == .generative {
            return .badRequest("all_items and retrieval generative contradict each other; set one")
        }
        if Int(request.beam) > maxBeam {
            return .badRequest("beam \(request.beam) is over the gateway's limit of \(maxBeam) generated items (gateway --max-beam)")
        }
        if let problem = limits.checkCandidates(count: request.candidates.count) { return problem }
        // Negative ids are malformed, not unknown: BAD_REQUEST, wherever they are in the request.
        let negative = Array(Set((request.history + request.candidates).filter { $0 < 0 })).sorted()
        if !negative.isEmpty {
            return .negativeItems(negative)
        }
        return nil
    }

    /// Candidates with repeats removed, first occurrence kept: a repeated id is scored and returned
    /// once (docs/wire.md, "Odd requests").
    static func distinct(_ candidates: [Int64]) -> [Int64] {
        var seen = Set<Int64>(minimumCapacity: candidates.count)
        return candidates.filter { seen.insert($0).inserted }
    }

    /// Candidate ids the model does not have (known only once the encoder reports the item count).
    static func unknownCandidates(_ request: RecommendRequest, itemCount: Int) -> ServiceError? {
        let unknown = request.candidates.filter { $0 >= Int64(itemCount) }
        return unknown.isEmpty ? nil : .unknownItems(Array(Set(unknown)).sorted(), itemCount: itemCount)
    }
}
