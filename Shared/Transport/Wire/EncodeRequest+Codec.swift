import RecServeProtoC

extension EncodeRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__EncodeRequest()
        recserve__v1__encode_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        message.user_id = arena.cString(userID)
        message.n_history = history.count
        message.history = arena.copy(history)
        message.model_version = arena.cString(modelVersion)
        return ProtoWrite.pack(
            &message, size: recserve__v1__encode_request__get_packed_size, pack: recserve__v1__encode_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "EncodeRequest", unpack: recserve__v1__encode_request__unpack,
            free: recserve__v1__encode_request__free_unpacked
        ) { message in
            EncodeRequest(
                header: ProtoRead.header(message.header), userID: ProtoRead.string(message.user_id),
                history: ProtoRead.array(message.history, message.n_history),
                modelVersion: ProtoRead.string(message.model_version))
        }
    }
}

extension EncodedHistory {
    func proto(in arena: ProtoArena) -> UnsafeMutablePointer<Recserve__V1__EncodedHistory> {
        var message = Recserve__V1__EncodedHistory()
        recserve__v1__encoded_history__init(&message)
        message.model_version = arena.cString(modelVersion)
        message.item_count = UInt32(itemCount)
        message.layers = UInt32(layers)
        message.length = UInt32(length)
        message.dim = UInt32(dim)
        message.dtype = RECSERVE__V1__DTYPE__DTYPE_F32
        message.keys = arena.binary(keys)
        message.values = arena.binary(values)
        return arena.object(message)
    }

    /// Reads and checks the tensor shapes, so no tier ever indexes past a short buffer.
    static func read(_ pointer: UnsafeMutablePointer<Recserve__V1__EncodedHistory>?, in type: String) throws(WireError)
        -> EncodedHistory
    {
        guard let message = pointer?.pointee else {
            throw WireError(messageType: type, byteCount: 0, reason: "missing encoded history")
        }
        let keys = try ProtoRead.floats(message.keys, field: "keys", type: type)
        let values = try ProtoRead.floats(message.values, field: "values", type: type)
        // Each factor is a 32-bit value from the wire: multiply without trapping on overflow.
        let (partial, overflowA) = Int(message.layers).multipliedReportingOverflow(by: Int(message.length))
        let (expected, overflowB) = partial.multipliedReportingOverflow(by: Int(message.dim))
        guard !overflowA, !overflowB, message.dtype == RECSERVE__V1__DTYPE__DTYPE_F32, keys.count == expected, values.count == expected
        else {
            throw WireError(
                messageType: type, byteCount: message.keys.len + message.values.len,
                reason: "encoded history shape \(message.layers)x\(message.length)x\(message.dim) does not match "
                    + "\(keys.count) keys / \(values.count) values")
        }
        return EncodedHistory(
            modelVersion: ProtoRead.string(message.model_version), itemCount: Int(message.item_count),
            layers: Int(message.layers), length: Int(message.length), dim: Int(message.dim), keys: keys, values: values)
    }
}

extension EncodeReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__EncodeReply()
        recserve__v1__encode_reply__init(&message)
        message.request_id = requestID
        switch result {
        case .success(let history): message.history = history.proto(in: arena)
        case .failure(let error): message.error = ProtoWrite.error(error, in: arena)
        }
        message.cache_hit = cacheHit ? 1 : 0
        message.compute_micros = computeMicros
        return ProtoWrite.pack(
            &message, size: recserve__v1__encode_reply__get_packed_size, pack: recserve__v1__encode_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "EncodeReply", unpack: recserve__v1__encode_reply__unpack,
            free: recserve__v1__encode_reply__free_unpacked
        ) { (message) throws(WireError) in
            let result: Result<EncodedHistory, ServiceError>
            if let error = ProtoRead.error(message.error) {
                result = .failure(error)
            } else {
                result = .success(try EncodedHistory.read(message.history, in: "EncodeReply"))
            }
            return EncodeReply(
                requestID: message.request_id, result: result, cacheHit: message.cache_hit != 0,
                computeMicros: message.compute_micros)
        }
    }
}
