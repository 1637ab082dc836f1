import Caching
import Wire

/// Each user's last good answer, kept so an overloaded gateway can still answer that user (as
/// OneRec's deployment falls back under load), flagged `degraded` so clients can tell.
///
/// Keyed by user and candidate set: an answer is only reused for the same candidates it ranked
/// (all items, or the same list), never to rank items the request did not offer. Bounded (LRU).
struct DegradedAnswers {
    struct Key: Hashable {
        let userID: String
        let allItems: Bool
        let candidates: [Int64]
    }

    struct Answer {
        let ranked: RankedItems
        let modelVersion: String
    }

    private var cache: LRUCache<Key, Answer>

    init(capacity: Int) { cache = LRUCache(capacity: max(1, capacity)) }

    static func key(_ request: RecommendRequest) -> Key? {
        guard !request.userID.isEmpty else { return nil }
        return Key(userID: request.userID, allItems: request.allItems, candidates: request.allItems ? [] : request.candidates)
    }

    mutating func remember(_ request: RecommendRequest, ranked: RankedItems, modelVersion: String) {
        guard let key = Self.key(request) else { return }
        _ = cache.set(key, Answer(ranked: ranked, modelVersion: modelVersion))
    }

    /// The stand-in reply for `request`, cut to its k, or nil when this user has none.
    mutating func reply(for request: RecommendRequest) -> RecommendReply? {
        guard let key = Self.key(request), let answer = cache.get(key) else { return nil }
        let k = min(Int(request.k), answer.ranked.items.count)
        return RecommendReply(
            requestID: request.header.requestID,
            ranked: RankedItems(items: Array(answer.ranked.items.prefix(k)), scores: Array(answer.ranked.scores.prefix(k))),
            modelVersion: answer.modelVersion, degraded: true)
    }
}
