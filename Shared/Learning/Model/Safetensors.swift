import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// Chosen because PyTorch and Hugging Face users already know it and can inspect our files with
/// their own tools. Dense weights are F32; compressed item tables add F16, BF16, U8, U16 and U32 tensors.
public enum Safetensors {
    /// The element types RecServe reads and writes, by their safetensors names.
    public enum DType: String, Sendable {
        case f32 = "F32"
        case f16 = "F16"
        case bf16 = "BF16"
        case u8 = "U8"
        case u16 = "U16"
        case u32 = "U32"

        public var size: Int {
            switch self {
            case .f32, .u32: 4
            case .f16, .bf16, .u16: 2
            case .u8: 1
            }
        }
    }

    public struct Entry: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Byte range inside the data section.
        public var range: Range<Int>
    }

    /// Bytes copied out of an array into memory that stays put until this is released (a `RawTensor`
    /// may point into it while a file is written).
    public final class OwnedBytes {
        public let bytes: UnsafeRawBufferPointer

        public init<Element>(_ array: [Element]) {
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(array.count * MemoryLayout<Element>.stride, 1), alignment: 16)
            array.withUnsafeBytes { raw.copyMemory(from: $0) }
            bytes = UnsafeRawBufferPointer(rebasing: raw[..<(array.count * MemoryLayout<Element>.stride)])
        }

        deinit { bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() } }
    }

    /// A tensor to write as raw little-endian bytes of its dtype.
    public struct RawTensor {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: UnsafeRawBufferPointer

        public init(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer) {
            (self.name, self.dtype, self.shape, self.bytes) = (name, dtype, shape, bytes)
        }
    }

    /// A parsed header; tensors are read on demand so a tier loads only what it needs.
    public struct Reader {
        public let path: String
        public let metadata: [String: String]
        public let entries: [String: Entry]
        private let dataStart: Int
        private let fileSize: Int

        public init(path: String) throws(ModelError) {
            self.path = path
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ModelError(.io, "\(path): cannot open model file (does it exist? make one with `recctl init-model`)")
            }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
            try? handle.seek(toOffset: 0)
            guard size >= 8, let lengthBytes = try? handle.read(upToCount: 8), lengthBytes.count == 8 else {
                throw ModelError(.corrupt, "\(path): too short to be a safetensors file (\(size) bytes)")
            }
            let headerLength = lengthBytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
            guard headerLength > 0, headerLength <= size - 8, headerLength < 100_000_000,
                let headerData = try? handle.read(upToCount: headerLength), headerData.count == headerLength,
                let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
            else {
                throw ModelError(.corrupt, "\(path): safetensors header is missing or not valid JSON")
            }
            var entries: [String: Entry] = [:]
            var metadata: [String: String] = [:]
            for (name, value) in json {
                if name == "__metadata__" {
                    metadata = (value as? [String: String]) ?? [:]
                    continue
                }
                guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                    let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
                else { throw ModelError(.corrupt, "\(path): tensor '\(name)' has a malformed header entry") }
                guard let type = DType(rawValue: dtype) else {
                    throw ModelError(.unsupported, "\(path): tensor '\(name)' is \(dtype); RecServe reads F32, F16, BF16, U8, U16 and U32")
                }
                guard offsets[0] <= offsets[1], shape.allSatisfy({ $0 >= 0 }) else {
                    throw ModelError(.corrupt, "\(path): tensor '\(name)' has a malformed header entry")
                }
                let range = offsets[0]..<offsets[1]
                guard range.count == shape.reduce(1, *) * type.size, 8 + headerLength + offsets[1] <= size else {
                    throw ModelError(.corrupt, "\(path): tensor '\(name)' byte range \(offsets) does not match shape \(shape) of \(dtype)")
                }
                entries[name] = Entry(name: name, dtype: type, shape: shape, range: range)
            }
            self.entries = entries
            self.metadata = metadata
            dataStart = 8 + headerLength
            fileSize = size
        }

        /// Reads one F32 tensor, checking it has the shape the caller expects.
        public func tensor(_ name: String, shape expected: [Int]) throws(ModelError) -> Tensor {
            let entry = try entry(name, dtype: .f32, shape: expected)
            let tensor = Tensor(shape: entry.shape)
            try read(entry, into: UnsafeMutableRawPointer(tensor.data))
            return tensor
        }

        /// The entry of a tensor that must exist with this dtype and shape.
        public func entry(_ name: String, dtype: DType, shape expected: [Int]) throws(ModelError) -> Entry {
            guard let entry = entries[name] else { throw ModelError(.corrupt, "\(path): tensor '\(name)' is missing") }
            guard entry.dtype == dtype else {
                throw ModelError(.mismatch, "\(path): tensor '\(name)' is \(entry.dtype.rawValue), expected \(dtype.rawValue)")
            }
            guard entry.shape == expected else {
                throw ModelError(.mismatch, "\(path): tensor '\(name)' has shape \(entry.shape), expected \(expected)")
            }
            return entry
        }

        /// A whole tensor of `dtype` as an array of `Element` (whose size must match the dtype's).
        public func array<Element>(_ name: String, dtype: DType, shape: [Int], as: Element.Type) throws(ModelError) -> [Element] {
            precondition(MemoryLayout<Element>.size == dtype.size)
            let entry = try entry(name, dtype: dtype, shape: shape)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(entry.range.count, 1), alignment: 16)
            defer { buffer.deallocate() }
            try read(entry, into: buffer)
            return Array(UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: Element.self), count: entry.shape.reduce(1, *)))
        }

        /// Copies a tensor's raw bytes to `destination` (which must hold `entry.range.count` bytes).
        public func read(_ entry: Entry, into destination: UnsafeMutableRawPointer) throws(ModelError) {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw ModelError(.io, "\(path): cannot open for reading tensor '\(entry.name)'") }
            defer { close(fd) }
            var done = 0
            while done < entry.range.count {
                let n = pread(fd, destination + done, entry.range.count - done, off_t(dataStart + entry.range.lowerBound + done))
                guard n > 0 else { throw ModelError(.corrupt, "\(path): short read of tensor '\(entry.name)'") }
                done += n
            }
        }
    }

    /// Writes F32 tensors and metadata.
    public static func write(path: String, tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws(ModelError) {
        try write(
            path: path,
            raw: tensors.map {
                RawTensor(name: $0.name, dtype: .f32, shape: $0.tensor.shape, bytes: UnsafeRawBufferPointer($0.tensor.buffer))
            }, metadata: metadata)
    }

    /// Writes tensors of any supported dtype; the header is padded to 8 bytes so data is aligned
    /// for mmap readers.
    public static func write(path: String, raw tensors: [RawTensor], metadata: [String: String]) throws(ModelError) {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in tensors {
            precondition(tensor.bytes.count == tensor.shape.reduce(1, *) * tensor.dtype.size, "\(tensor.name): bytes do not match shape")
            header[tensor.name] = [
                "dtype": tensor.dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + tensor.bytes.count],
            ]
            offset += tensor.bytes.count
        }
        guard var headerBytes = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
            throw ModelError(.io, "\(path): cannot encode safetensors header")
        }
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var length = UInt64(headerBytes.count).littleEndian
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else { throw ModelError(.io, "\(path): cannot create file") }
        do {
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: headerBytes)
            for tensor in tensors where tensor.bytes.count > 0 {
                try handle.write(
                    contentsOf: Data(
                        bytesNoCopy: UnsafeMutableRawPointer(mutating: tensor.bytes.baseAddress!), count: tensor.bytes.count,
                        deallocator: .none))
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            throw ModelError(.io, "\(path): write failed: \(error)")
        }
        // Rename so a reader never sees a half-written model.
        guard rename(temporary, path) == 0 else { throw ModelError(.io, "\(path): cannot rename \(temporary) into place") }
    }
}
