import Clocks
import Ranking
import Wire
import ZeroMQ

/// The Recommend flow: encode once, split candidates across scorers, merge their top-k lists; or,
/// for a request that makes one slice, one scorer encodes and scores it in a single round trip.
extension GatewayCoordinator {
    mutating func scoreInOneHop(_ key: UInt64, raw: RawHistory, header: RequestHeader, now: Moment) -> [GatewayAction] {
        var pending = requests[key]!
        pending.encodedByScorer = true
        pending.phase = .scoring(remaining: 1)
        pending.slices = 1
        pending.scoringStarted = now.instant
        requests[key] = pending
        let candidates = pending.request.candidates
        let score = ScoreRequest(
            header: header, history: .raw(raw), candidates: .ids(candidates),
            k: min(pending.request.k, Int32(clamping: candidates.count)))
        return submit(Job(requestKey: key, kind: .score, service: configuration.scorerService, payload: score.encoded()), now: now)
    }

    mutating func completed(tag: UInt64, payload: Frame, now: Moment) -> [GatewayAction] {
        guard let job = jobs.removeValue(forKey: tag), requests[job.requestKey] != nil else { return [] }
        requests[job.requestKey]!.openJobs.remove(tag)
        switch job.kind {
        case .encode: return encoded(job.requestKey, payload, now: now)
        case .score: return scored(job.requestKey, payload, now: now)
        }
    }

    mutating func encoded(_ key: UInt64, _ payload: Frame, now: Moment) -> [GatewayAction] {
        let history: EncodedHistory
        do {
            let reply = try payload.withUnsafeBytes { try EncodeReply(decoding: $0) }
            switch reply.result {
            case .failure(let error): return fail(key, error)
            case .success(let encoded): history = encoded
            }
            requests[key]!.historyCacheHit = reply.cacheHit
            requests[key]!.timings.append(TierTiming(tier: "encoder_compute", micros: reply.computeMicros))
        } catch {
            return fail(key, .internal("history-encoder sent an unreadable reply: \(error)"))
        }
        var pending = requests[key]!
        pending.timings.insert(TierTiming(tier: "encode", micros: (now.instant - pending.started).wireMicros), at: 0)
        if let problem = RequestValidation.unknownCandidates(pending.request, itemCount: history.itemCount) {
            return fail(key, problem)
        }
        let slices = split(pending.request, itemCount: history.itemCount)
        pending.phase = .scoring(remaining: slices.count)
        pending.slices = slices.count
        pending.scoringStarted = now.instant
        requests[key] = pending
        var actions: [GatewayAction] = []
        for slice in slices where requests[key] != nil {
            let score = ScoreRequest(
                header: RequestHeader(requestID: pending.request.header.requestID, deadline: pending.deadline),
                history: history, candidates: slice, k: min(pending.request.k, Int32(clamping: slice.count)))
            let job = Job(requestKey: key, kind: .score, service: configuration.scorerService, payload: score.encoded())
            actions += submit(job, now: now)
        }
        return actions
    }

    /// Contiguous, near-equal slices: one per live scorer, but none smaller than
    /// `minSliceCandidates` (a tiny slice costs a round trip and saves nothing).
    func split(_ request: RecommendRequest, itemCount: Int) -> [CandidateSlice] {
        let total = request.allItems ? itemCount : request.candidates.count
        let parts = sliceCount(total)
        return (0..<parts).map { part in
            let start = total * part / parts
            let end = total * (part + 1) / parts
            return request.allItems
                ? .range(Int64(start)..<Int64(end)) : .ids(Array(request.candidates[start..<end]))
        }
    }

    /// How many slices `total` candidates make with the scorers live now.
    func sliceCount(_ total: Int) -> Int {
        let byReplicas = max(1, broker.liveWorkers(service: configuration.scorerService))
        let bySize = max(1, (total + configuration.minSliceCandidates - 1) / configuration.minSliceCandidates)
        return min(byReplicas, bySize)
    }

    mutating func scored(_ key: UInt64, _ payload: Frame, now: Moment) -> [GatewayAction] {
        let slice: ScoredSlice
        do {
            let reply = try payload.withUnsafeBytes { try ScoreReply(decoding: $0) }
            switch reply.result {
            case .failure(let error): return fail(key, error)
            case .success(let scored): slice = scored
            }
        } catch {
            return fail(key, .internal("scorer sent an unreadable reply: \(error)"))
        }
        var pending = requests[key]!
        if !pending.modelVersion.isEmpty && pending.modelVersion != slice.modelVersion {
            return fail(
                key, .unavailable("scorers answered with different model versions (\(pending.modelVersion), \(slice.modelVersion))"))
        }
        pending.modelVersion = slice.modelVersion
        if pending.encodedByScorer {
            pending.historyCacheHit = slice.historyCacheHit
            pending.timings.append(TierTiming(tier: "scorer_encode", micros: slice.encodeMicros))
        }
        pending.slowestScorerMicros = max(pending.slowestScorerMicros, slice.computeMicros)
        pending.partials.append(zip(slice.ranked.items, slice.ranked.scores).map { ScoredItem(id: $0, score: $1) })
        guard case .scoring(let remaining) = pending.phase, remaining > 1 else {
            requests[key] = nil
            return [finish(pending, now: now)]
        }
        pending.phase = .scoring(remaining: remaining - 1)
        requests[key] = pending
        return []
    }

    mutating func finish(_ pending: PendingRequest, now: Moment) -> GatewayAction {
        let top = TopK.merge(pending.partials, k: Int(pending.request.k))
        let ranked = RankedItems(items: top.map(\.id), scores: top.map(\.score))
        degradedAnswers?.remember(pending.request, ranked: ranked, modelVersion: pending.modelVersion)
        let timings =
            pending.timings + [
                TierTiming(tier: "score", micros: (now.instant - pending.scoringStarted).wireMicros),
                TierTiming(tier: "scorer_compute", micros: pending.slowestScorerMicros),
                TierTiming(tier: "gateway_queue", micros: pending.longestQueueWait.wireMicros),
                TierTiming(tier: "gateway_total", micros: (now.instant - pending.started).wireMicros),
            ]
        let reply = RecommendReply(
            requestID: pending.request.header.requestID, ranked: ranked,
            modelVersion: pending.modelVersion, timings: timings, scorerSlices: UInt32(pending.slices),
            historyCacheHit: pending.historyCacheHit)
        return .replyToClient(
            pending.client, reply.encoded(), RequestOutcome(code: "OK", modelVersion: pending.modelVersion, timings: timings))
    }
}
