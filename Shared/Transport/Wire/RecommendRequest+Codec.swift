import RecServeProtoC

extension RecommendRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__RecommendRequest()
        recserve__v1__recommend_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        message.user_id = arena.cString(userID)
        message.n_history = history.count
        message.history = arena.copy(history)
        message.n_candidates = candidates.count
        message.candidates = arena.copy(candidates)
        message.all_items = allItems ? 1 : 0
        message.k = k
        message.retrieval = Recserve__V1__Retrieval(rawValue: UInt32(bitPattern: retrieval.rawValue))
        message.beam = beam
        return ProtoWrite.pack(
            &message, size: recserve__v1__recommend_request__get_packed_size, pack: recserve__v1__recommend_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "RecommendRequest", unpack: recserve__v1__recommend_request__unpack,
            free: recserve__v1__recommend_request__free_unpacked
        ) { (message) throws(WireError) in
            let raw = Int32(bitPattern: message.retrieval.rawValue)
            guard let retrieval = Retrieval(rawValue: raw) else {
                throw WireError(messageType: "RecommendRequest", byteCount: bytes.count, reason: "unknown retrieval \(raw)")
            }
            return RecommendRequest(
                header: ProtoRead.header(message.header),
                userID: ProtoRead.string(message.user_id),
                history: ProtoRead.array(message.history, message.n_history),
                candidates: ProtoRead.array(message.candidates, message.n_candidates),
                allItems: message.all_items != 0,
                k: message.k, retrieval: retrieval, beam: message.beam)
        }
    }
}

extension RecommendReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__RecommendReply()
        recserve__v1__recommend_reply__init(&message)
        message.request_id = requestID
        message.error = ProtoWrite.error(error, in: arena)
        message.n_items = ranked.items.count
        message.items = arena.copy(ranked.items)
        message.n_scores = ranked.scores.count
        message.scores = arena.copy(ranked.scores)
        message.model_version = arena.cString(modelVersion)
        let timingPointers: [UnsafeMutablePointer<Recserve__V1__TierTiming>?] = timings.map { timing in
            var entry = Recserve__V1__TierTiming()
            recserve__v1__tier_timing__init(&entry)
            entry.tier = arena.cString(timing.tier)
            entry.micros = timing.micros
            return arena.object(entry)
        }
        message.n_timings = timings.count
        message.timings = arena.copy(timingPointers)
        message.scorer_slices = scorerSlices
        message.history_cache_hit = historyCacheHit ? 1 : 0
        message.degraded = degraded ? 1 : 0
        message.retrieval = arena.cString(retrieval)
        message.generated = generated
        return ProtoWrite.pack(
            &message, size: recserve__v1__recommend_reply__get_packed_size, pack: recserve__v1__recommend_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "RecommendReply", unpack: recserve__v1__recommend_reply__unpack,
            free: recserve__v1__recommend_reply__free_unpacked
        ) { (message) throws(WireError) in
            let items: [Int64] = ProtoRead.array(message.items, message.n_items)
            let scores: [Float] = ProtoRead.array(message.scores, message.n_scores)
            guard items.count == scores.count else {
                throw WireError(
                    messageType: "RecommendReply", byteCount: bytes.count,
                    reason: "\(items.count) items but \(scores.count) scores")
            }
            let timings = ProtoRead.array(message.timings, message.n_timings).compactMap { pointer in
                pointer.map { TierTiming(tier: ProtoRead.string($0.pointee.tier), micros: $0.pointee.micros) }
            }
            return RecommendReply(
                requestID: message.request_id, error: ProtoRead.error(message.error),
                ranked: RankedItems(items: items, scores: scores), modelVersion: ProtoRead.string(message.model_version),
                timings: timings, scorerSlices: message.scorer_slices, historyCacheHit: message.history_cache_hit != 0,
                degraded: message.degraded != 0, retrieval: ProtoRead.string(message.retrieval), generated: message.generated)
        }
    }
}
