import RecServeProtoC

extension GenerateRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__GenerateRequest()
        recserve__v1__generate_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        message.history = history.proto(in: arena)
        message.beam = beam
        return ProtoWrite.pack(
            &message, size: recserve__v1__generate_request__get_packed_size, pack: recserve__v1__generate_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "GenerateRequest", unpack: recserve__v1__generate_request__unpack,
            free: recserve__v1__generate_request__free_unpacked
        ) { (message) throws(WireError) in
            GenerateRequest(
                header: ProtoRead.header(message.header), history: try EncodedHistory.read(message.history, in: "GenerateRequest"),
                beam: message.beam)
        }
    }
}

extension GenerateReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__GenerateReply()
        recserve__v1__generate_reply__init(&message)
        message.request_id = requestID
        switch result {
        case .success(let generated):
            message.n_items = generated.items.count
            message.items = arena.copy(generated.items)
            message.n_log_probabilities = generated.logProbabilities.count
            message.log_probabilities = arena.copy(generated.logProbabilities)
            message.model_version = arena.cString(generated.modelVersion)
            message.compute_micros = generated.computeMicros
        case .failure(let error):
            message.error = ProtoWrite.error(error, in: arena)
        }
        return ProtoWrite.pack(&message, size: recserve__v1__generate_reply__get_packed_size, pack: recserve__v1__generate_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "GenerateReply", unpack: recserve__v1__generate_reply__unpack,
            free: recserve__v1__generate_reply__free_unpacked
        ) { (message) throws(WireError) in
            if let error = ProtoRead.error(message.error) {
                return GenerateReply(requestID: message.request_id, result: .failure(error))
            }
            let items: [Int64] = ProtoRead.array(message.items, message.n_items)
            let logProbabilities: [Float] = ProtoRead.array(message.log_probabilities, message.n_log_probabilities)
            guard items.count == logProbabilities.count else {
                throw WireError(
                    messageType: "GenerateReply", byteCount: bytes.count,
                    reason: "\(items.count) items but \(logProbabilities.count) log-probabilities")
            }
            let generated = GeneratedItems(
                items: items, logProbabilities: logProbabilities, modelVersion: ProtoRead.string(message.model_version),
                computeMicros: message.compute_micros)
            return GenerateReply(requestID: message.request_id, result: .success(generated))
        }
    }
}
