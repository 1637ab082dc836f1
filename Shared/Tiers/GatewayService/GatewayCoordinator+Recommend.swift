import Clocks
import Ranking
import Wire
import ZeroMQ

/// The Recommend flow: encode once, split candidates across scorers, merge their top-k lists; or,
/// for a request that makes one slice, one scorer encodes and scores it in a single round trip.
extension GatewayCoordinator {
    mutating func scoreInOneHop(_ key: UInt64, raw: RawHistory, now: Moment) -> [GatewayAction] {
        requests[key]!.encodedByScorer = true
        return score(key, history: .raw(raw), slices: [.ids(requests[key]!.request.candidates)], now: now)
    }

    mutating func completed(tag: UInt64, payload: Frame, now: Moment) -> [GatewayAction] {
        guard let job = jobs.removeValue(forKey: tag), requests[job.requestKey] != nil else { return [] }
        requests[job.requestKey]!.openJobs.remove(tag)
        switch job.kind {
        case .encode: return encoded(job.requestKey, payload, now: now)
        case .generate: return generated(job.requestKey, payload, now: now)
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
        let request = pending.request
        let generative =
            request.retrieval == .generative
            || (request.retrieval == .default && request.allItems && history.itemCount > configuration.generativeAbove)
        if generative {
            guard broker.liveWorkers(service: configuration.generatorService) > 0 else {
                return fail(
                    key,
                    .unavailable(
                        "no live \(configuration.generatorService) replica is registered (generative retrieval for a catalog of \(history.itemCount) items)"
                    ))
            }
            pending.phase = .generating
            pending.retrieval = "generative"
            pending.history = history
            pending.generationStarted = now.instant
            requests[key] = pending
            let beam = request.beam > 0 ? request.beam : UInt32(configuration.defaultBeam)
            let generate = GenerateRequest(
                header: RequestHeader(requestID: request.header.requestID, deadline: pending.deadline), history: history, beam: beam)
            return submit(
                Job(requestKey: key, kind: .generate, service: configuration.generatorService, payload: generate.encoded()), now: now)
        }
        if request.candidates.isEmpty { pending.retrieval = "all_items" }
        requests[key] = pending
        return score(key, history: .encoded(history), slices: split(request, itemCount: history.itemCount), now: now)
    }

    /// The generator answered: its items are the candidates, scored across the scorers.
    mutating func generated(_ key: UInt64, _ payload: Frame, now: Moment) -> [GatewayAction] {
        let items: GeneratedItems
        do {
            let reply = try payload.withUnsafeBytes { try GenerateReply(decoding: $0) }
            switch reply.result {
            case .failure(let error): return fail(key, error)
            case .success(let generated): items = generated
            }
        } catch {
            return fail(key, .internal("generator sent an unreadable reply: \(error)"))
        }
        var pending = requests[key]!
        guard let history = pending.history, !items.items.isEmpty else {
            return fail(key, .internal("the generator returned no items"))
        }
        pending.history = nil
        let candidates = RequestValidation.distinct(items.items)  // a generator's reply is input too
        pending.generated = candidates.count
        pending.timings += [
            TierTiming(tier: "generate", micros: (now.instant - pending.generationStarted).wireMicros),
            TierTiming(tier: "generator_compute", micros: items.computeMicros),
        ]
        requests[key] = pending
        let total = candidates.count
        let parts = sliceCount(total)
        let slices = (0..<parts).map { part in CandidateSlice.ids(Array(candidates[(total * part / parts)..<(total * (part + 1) / parts)]))
        }
        return score(key, history: .encoded(history), slices: slices, now: now)
    }

    /// Sends one scorer job per slice against `history` (encoded, or raw for the one-hop route).
    mutating func score(_ key: UInt64, history: ScoreHistory, slices: [CandidateSlice], now: Moment) -> [GatewayAction] {
        var pending = requests[key]!
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
        // No listed candidates means all items (validation allows nothing else by the time we split).
        let everything = request.candidates.isEmpty
        let total = everything ? itemCount : request.candidates.count
        let parts = sliceCount(total)
        return (0..<parts).map { part in
            let start = total * part / parts
            let end = total * (part + 1) / parts
            return everything ? .range(Int64(start)..<Int64(end)) : .ids(Array(request.candidates[start..<end]))
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
            historyCacheHit: pending.historyCacheHit, retrieval: pending.retrieval, generated: UInt32(pending.generated))
        return .replyToClient(
            pending.client, reply.encoded(), RequestOutcome(code: "OK", modelVersion: pending.modelVersion, timings: timings))
    }
}
