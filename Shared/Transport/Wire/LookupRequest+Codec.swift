import RecServeProtoC

extension LookupRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__LookupRequest()
        recserve__v1__lookup_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        message.n_ids = ids.count
        message.ids = arena.copy(ids)
        message.model_version = arena.cString(modelVersion)
        return ProtoWrite.pack(
            &message, size: recserve__v1__lookup_request__get_packed_size, pack: recserve__v1__lookup_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "LookupRequest", unpack: recserve__v1__lookup_request__unpack,
            free: recserve__v1__lookup_request__free_unpacked
        ) { message in
            LookupRequest(
                header: ProtoRead.header(message.header), ids: ProtoRead.array(message.ids, message.n_ids),
                modelVersion: ProtoRead.string(message.model_version))
        }
    }
}

extension LookupReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__LookupReply()
        recserve__v1__lookup_reply__init(&message)
        message.request_id = requestID
        switch result {
        case .success(let rows):
            message.model_version = arena.cString(rows.modelVersion)
            message.dim = UInt32(rows.dim)
            message.dtype = RECSERVE__V1__DTYPE__DTYPE_F32
            message.rows = arena.binary(rows.rows)
        case .failure(let error):
            message.error = ProtoWrite.error(error, in: arena)
        }
        return ProtoWrite.pack(
            &message, size: recserve__v1__lookup_reply__get_packed_size, pack: recserve__v1__lookup_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "LookupReply", unpack: recserve__v1__lookup_reply__unpack,
            free: recserve__v1__lookup_reply__free_unpacked
        ) { (message) throws(WireError) in
            if let error = ProtoRead.error(message.error) {
                return LookupReply(requestID: message.request_id, result: .failure(error))
            }
            let rows = try ProtoRead.floats(message.rows, field: "rows", type: "LookupReply")
            let dim = Int(message.dim)
            guard dim > 0, rows.count % dim == 0 else {
                throw WireError(
                    messageType: "LookupReply", byteCount: bytes.count, reason: "\(rows.count) floats is not rows of dim \(dim)")
            }
            return LookupReply(
                requestID: message.request_id,
                result: .success(EmbeddingRows(modelVersion: ProtoRead.string(message.model_version), dim: dim, rows: rows)))
        }
    }
}
