import RecServeProtoC

extension PushRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__PushRequest()
        recserve__v1__push_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        message.n_ids = ids.count
        message.ids = arena.copy(ids)
        message.gradients = arena.binary(gradients)
        return ProtoWrite.pack(&message, size: recserve__v1__push_request__get_packed_size, pack: recserve__v1__push_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "PushRequest", unpack: recserve__v1__push_request__unpack, free: recserve__v1__push_request__free_unpacked
        ) { (message) throws(WireError) in
            PushRequest(
                header: ProtoRead.header(message.header), ids: ProtoRead.array(message.ids, message.n_ids),
                gradients: try ProtoRead.floats(message.gradients, field: "gradients", type: "PushRequest"))
        }
    }
}

extension PushReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__PushReply()
        recserve__v1__push_reply__init(&message)
        message.request_id = requestID
        switch result {
        case .success(let applied): message.applied = UInt32(clamping: applied)
        case .failure(let error): message.error = ProtoWrite.error(error, in: arena)
        }
        message.model_version = arena.cString(modelVersion)
        return ProtoWrite.pack(&message, size: recserve__v1__push_reply__get_packed_size, pack: recserve__v1__push_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "PushReply", unpack: recserve__v1__push_reply__unpack, free: recserve__v1__push_reply__free_unpacked
        ) { message in
            let result: Result<Int, ServiceError> = ProtoRead.error(message.error).map { .failure($0) } ?? .success(Int(message.applied))
            return PushReply(requestID: message.request_id, result: result, modelVersion: ProtoRead.string(message.model_version))
        }
    }
}
