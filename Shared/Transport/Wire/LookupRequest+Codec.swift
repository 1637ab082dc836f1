import RecServeProtoC
import RowCodec

extension LookupRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__LookupRequest()
        recserve__v1__lookup_request__init(&message)
        message.header = ProtoWrite.header(header, in: arena)
        message.n_ids = ids.count
        message.ids = arena.copy(ids)
        message.model_version = arena.cString(modelVersion)
        message.compact = compact ? 1 : 0
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
                modelVersion: ProtoRead.string(message.model_version), compact: message.compact != 0)
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
            message.dtype = Recserve__V1__DType(rawValue: UInt32(rows.encoding.rawValue))
            message.rows = arena.binary(rows.packed)
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
            let dim = Int(message.dim)
            guard let encoding = RowEncoding(rawValue: UInt8(clamping: message.dtype.rawValue)) else {
                throw WireError(messageType: "LookupReply", byteCount: bytes.count, reason: "unknown row dtype \(message.dtype.rawValue)")
            }
            let size = encoding.bytesPerRow(dim: dim)
            guard dim > 0, message.rows.len % size == 0 else {
                throw WireError(
                    messageType: "LookupReply", byteCount: bytes.count,
                    reason: "\(message.rows.len) bytes is not rows of dim \(dim) packed as \(encoding) (\(size) bytes a row)")
            }
            let packed = message.rows.len == 0 ? [] : Array(UnsafeBufferPointer(start: message.rows.data, count: message.rows.len))
            return LookupReply(
                requestID: message.request_id,
                result: .success(
                    EmbeddingRows(modelVersion: ProtoRead.string(message.model_version), dim: dim, encoding: encoding, packed: packed)))
        }
    }
}
