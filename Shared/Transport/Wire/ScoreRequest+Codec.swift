import RecServeProtoC

extension ScoreRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__ScoreRequest()
        recserve__v1__score_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        switch history {
        case .encoded(let encoded): message.history = encoded.proto(in: arena)
        case .raw(let raw): message.raw_history = raw.proto(in: arena)
        }
        switch candidates {
        case .ids(let ids):
            message.n_candidates = ids.count
            message.candidates = arena.copy(ids)
        case .range(let range):
            message.use_range = 1
            message.range_start = range.lowerBound
            message.range_end = range.upperBound
        }
        message.k = k
        return ProtoWrite.pack(
            &message, size: recserve__v1__score_request__get_packed_size, pack: recserve__v1__score_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "ScoreRequest", unpack: recserve__v1__score_request__unpack,
            free: recserve__v1__score_request__free_unpacked
        ) { (message) throws(WireError) in
            let candidates: CandidateSlice
            if message.use_range != 0 {
                guard message.range_start <= message.range_end else {
                    throw WireError(
                        messageType: "ScoreRequest", byteCount: bytes.count,
                        reason: "empty-or-inverted range \(message.range_start)..<\(message.range_end)")
                }
                candidates = .range(message.range_start..<message.range_end)
            } else {
                candidates = .ids(ProtoRead.array(message.candidates, message.n_candidates))
            }
            let history: ScoreHistory
            switch (message.history, message.raw_history) {
            case (nil, let raw?): history = .raw(RawHistory.read(raw))
            case (let encoded?, nil): history = .encoded(try EncodedHistory.read(encoded, in: "ScoreRequest"))
            default:
                throw WireError(
                    messageType: "ScoreRequest", byteCount: bytes.count, reason: "expected exactly one of history and raw_history")
            }
            return ScoreRequest(header: ProtoRead.header(message.header), history: history, candidates: candidates, k: message.k)
        }
    }
}

extension ScoreReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__ScoreReply()
        recserve__v1__score_reply__init(&message)
        message.request_id = requestID
        switch result {
        case .success(let slice):
            message.n_items = slice.ranked.items.count
            message.items = arena.copy(slice.ranked.items)
            message.n_scores = slice.ranked.scores.count
            message.scores = arena.copy(slice.ranked.scores)
            message.model_version = arena.cString(slice.modelVersion)
            message.compute_micros = slice.computeMicros
            message.row_cache_misses = slice.rowCacheMisses
            message.encode_micros = slice.encodeMicros
            message.history_cache_hit = slice.historyCacheHit ? 1 : 0
        case .failure(let error):
            message.error = ProtoWrite.error(error, in: arena)
        }
        return ProtoWrite.pack(
            &message, size: recserve__v1__score_reply__get_packed_size, pack: recserve__v1__score_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "ScoreReply", unpack: recserve__v1__score_reply__unpack,
            free: recserve__v1__score_reply__free_unpacked
        ) { (message) throws(WireError) in
            if let error = ProtoRead.error(message.error) {
                return ScoreReply(requestID: message.request_id, result: .failure(error))
            }
            let items: [Int64] = ProtoRead.array(message.items, message.n_items)
            let scores: [Float] = ProtoRead.array(message.scores, message.n_scores)
            guard items.count == scores.count else {
                throw WireError(
                    messageType: "ScoreReply", byteCount: bytes.count, reason: "\(items.count) items but \(scores.count) scores")
            }
            let slice = ScoredSlice(
                ranked: RankedItems(items: items, scores: scores), modelVersion: ProtoRead.string(message.model_version),
                computeMicros: message.compute_micros, rowCacheMisses: message.row_cache_misses,
                encodeMicros: message.encode_micros, historyCacheHit: message.history_cache_hit != 0)
            return ScoreReply(requestID: message.request_id, result: .success(slice))
        }
    }
}

extension RawHistory {
    func proto(in arena: ProtoArena) -> UnsafeMutablePointer<Recserve__V1__RawHistory> {
        var message = Recserve__V1__RawHistory()
        recserve__v1__raw_history__init(&message)
        message.user_id = arena.cString(userID)
        message.n_items = items.count
        message.items = arena.copy(items)
        message.model_version = arena.cString(modelVersion)
        return arena.object(message)
    }

    static func read(_ message: UnsafeMutablePointer<Recserve__V1__RawHistory>) -> RawHistory {
        RawHistory(
            userID: ProtoRead.string(message.pointee.user_id), items: ProtoRead.array(message.pointee.items, message.pointee.n_items),
            modelVersion: ProtoRead.string(message.pointee.model_version))
    }
}
