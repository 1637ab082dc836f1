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
        message.dense_gradients = arena.binary(denseGradients)
        message.dense_learning_rate = denseLearningRate
        message.want_dense = wantDense ? 1 : 0
        message.stale_threshold = staleThreshold
        message.hot_fraction = hotFraction
        return ProtoWrite.pack(&message, size: recserve__v1__push_request__get_packed_size, pack: recserve__v1__push_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "PushRequest", unpack: recserve__v1__push_request__unpack, free: recserve__v1__push_request__free_unpacked
        ) { (message) throws(WireError) in
            var request = PushRequest(
                header: ProtoRead.header(message.header), ids: ProtoRead.array(message.ids, message.n_ids),
                gradients: try ProtoRead.floats(message.gradients, field: "gradients", type: "PushRequest"))
            request.denseGradients = try ProtoRead.floats(message.dense_gradients, field: "dense_gradients", type: "PushRequest")
            request.denseLearningRate = message.dense_learning_rate
            request.wantDense = message.want_dense != 0
            request.staleThreshold = message.stale_threshold
            request.hotFraction = message.hot_fraction
            return request
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
        message.dense = arena.binary(dense)
        message.dense_step = denseStep
        message.n_stale_ids = staleIDs.count
        message.stale_ids = arena.copy(staleIDs)
        message.hot_rows = UInt32(clamping: hotRows)
        return ProtoWrite.pack(&message, size: recserve__v1__push_reply__get_packed_size, pack: recserve__v1__push_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "PushReply", unpack: recserve__v1__push_reply__unpack, free: recserve__v1__push_reply__free_unpacked
        ) { (message) throws(WireError) in
            let result: Result<Int, ServiceError> = ProtoRead.error(message.error).map { .failure($0) } ?? .success(Int(message.applied))
            var reply = PushReply(requestID: message.request_id, result: result, modelVersion: ProtoRead.string(message.model_version))
            reply.dense = try ProtoRead.floats(message.dense, field: "dense", type: "PushReply")
            reply.denseStep = message.dense_step
            reply.staleIDs = ProtoRead.array(message.stale_ids, message.n_stale_ids)
            reply.hotRows = Int(message.hot_rows)
            return reply
        }
    }
}
