import CProtobufC
import Glibc
import RecServeProtoC

#if _endian(big)
    #error("RecServe's wire tensors are little-endian; big-endian hosts need byte swapping first")
#endif

/// Owns the C memory a protobuf-c struct points into while it is packed; freed all at once.
///
/// Packing from Swift arrays through nested `withUnsafe…` closures gets deep fast; copying into an
/// arena costs one memcpy per field and keeps each codec flat and readable.
final class ProtoArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { free(block) }
    }

    private func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let block = malloc(max(byteCount, 1))!
        blocks.append(block)
        return block
    }

    func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T>? {
        guard !array.isEmpty else { return nil }
        let block = allocate(array.count * MemoryLayout<T>.stride)
        array.withUnsafeBytes { block.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return block.assumingMemoryBound(to: T.self)
    }

    func object<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let pointer = allocate(MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: 1)
        pointer.initialize(to: value)
        return pointer
    }

    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(string.utf8CString)
        return copy(utf8)!
    }

    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: copy(bytes))
    }

    func binary(_ floats: [Float]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(
            len: floats.count * 4, data: copy(floats).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt8.self) })
    }
}

/// Helpers shared by the per-message codecs.
enum ProtoRead {
    static func array<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    static func floats(_ data: ProtobufCBinaryData, field: String, type: String) throws(WireError) -> [Float] {
        guard data.len % 4 == 0 else {
            throw WireError(messageType: type, byteCount: data.len, reason: "\(field) is \(data.len) bytes, not a whole number of f32")
        }
        let count = data.len / 4
        guard count > 0, let bytes = data.data else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            memcpy(buffer.baseAddress!, bytes, data.len)
            initialized = count
        }
    }

    static func header(_ pointer: UnsafeMutablePointer<Recserve__V1__RequestHeader>?) -> RequestHeader {
        guard let header = pointer?.pointee else { return RequestHeader(requestID: 0, deadline: nil) }
        let deadline = header.deadline_unix_micros == 0 ? nil : Deadline(unixMicros: header.deadline_unix_micros)
        return RequestHeader(requestID: header.request_id, deadline: deadline)
    }

    static func error(_ pointer: UnsafeMutablePointer<Recserve__V1__Error>?) -> ServiceError? {
        guard let error = pointer?.pointee else { return nil }
        // Any 32-bit value can arrive (found by fuzzing); unknown codes read as INTERNAL.
        let code = Int32(exactly: error.code.rawValue).flatMap(ServiceError.Code.init(rawValue:)) ?? .internal
        return ServiceError(code, string(error.message), ids: array(error.ids, error.n_ids))
    }

    /// Runs protobuf-c's unpack, hands the struct to `read`, and always frees it.
    static func unpack<Message, Result>(
        _ bytes: UnsafeRawBufferPointer,
        type: String,
        unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
        free: (UnsafeMutablePointer<Message>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
        read: (Message) throws(WireError) -> Result
    ) throws(WireError) -> Result {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let message = unpack(nil, bytes.count, base) else {
            throw WireError(messageType: type, byteCount: bytes.count, reason: "not a valid protobuf encoding")
        }
        defer { free(message, nil) }
        return try read(message.pointee)
    }
}

enum ProtoWrite {
    static func header(_ header: RequestHeader, in arena: ProtoArena) -> UnsafeMutablePointer<Recserve__V1__RequestHeader> {
        var message = Recserve__V1__RequestHeader()
        recserve__v1__request_header__init(&message)
        message.request_id = header.requestID
        message.deadline_unix_micros = header.deadline?.unixMicros ?? 0
        return arena.object(message)
    }

    static func error(_ error: ServiceError?, in arena: ProtoArena) -> UnsafeMutablePointer<Recserve__V1__Error>? {
        guard let error else { return nil }
        var message = Recserve__V1__Error()
        recserve__v1__error__init(&message)
        message.code = Recserve__V1__ErrorCode(rawValue: UInt32(error.code.rawValue))
        message.message = arena.cString(error.message)
        message.n_ids = error.ids.count
        message.ids = arena.copy(error.ids)
        return arena.object(message)
    }

    /// Packs with protobuf-c's `get_packed_size` / `pack` pair into a fresh byte array.
    static func pack<Message>(
        _ message: inout Message,
        size: (UnsafePointer<Message>) -> Int,
        pack: (UnsafePointer<Message>, UnsafeMutablePointer<UInt8>) -> Int
    ) -> [UInt8] {
        withUnsafePointer(to: &message) { pointer in
            let count = size(pointer)
            return [UInt8](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
                initialized = count == 0 ? 0 : pack(pointer, buffer.baseAddress!)
            }
        }
    }
}
