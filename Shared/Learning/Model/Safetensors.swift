import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// Chosen because PyTorch and Hugging Face users already know it and can inspect our files with
/// their own tools. Only F32 tensors are written or read for now.
public enum Safetensors {
    public struct Entry: Sendable {
        public var name: String
        public var shape: [Int]
        /// Byte range inside the data section.
        public var range: Range<Int>
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
                guard dtype == "F32" else { throw ModelError(.unsupported, "\(path): tensor '\(name)' is \(dtype); only F32 is supported") }
                let range = offsets[0]..<offsets[1]
                guard offsets[0] <= offsets[1], range.count == shape.reduce(1, *) * 4,
                    8 + headerLength + offsets[1] <= size
                else { throw ModelError(.corrupt, "\(path): tensor '\(name)' byte range \(offsets) does not match shape \(shape)") }
                entries[name] = Entry(name: name, shape: shape, range: range)
            }
            self.entries = entries
            self.metadata = metadata
            dataStart = 8 + headerLength
            fileSize = size
        }

        /// Reads one tensor, checking it has the shape the caller expects.
        public func tensor(_ name: String, shape expected: [Int]) throws(ModelError) -> Tensor {
            guard let entry = entries[name] else { throw ModelError(.corrupt, "\(path): tensor '\(name)' is missing") }
            guard entry.shape == expected else {
                throw ModelError(.mismatch, "\(path): tensor '\(name)' has shape \(entry.shape), expected \(expected)")
            }
            let tensor = Tensor(shape: entry.shape)
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw ModelError(.io, "\(path): cannot open for reading tensor '\(name)'") }
            defer { close(fd) }
            var done = 0
            let raw = UnsafeMutableRawPointer(tensor.data)
            while done < entry.range.count {
                let n = pread(fd, raw + done, entry.range.count - done, off_t(dataStart + entry.range.lowerBound + done))
                guard n > 0 else { throw ModelError(.corrupt, "\(path): short read of tensor '\(name)'") }
                done += n
            }
            return tensor
        }
    }

    /// Writes tensors and metadata; the header is padded to 8 bytes so data is aligned for mmap readers.
    public static func write(path: String, tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws(ModelError) {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for (name, tensor) in tensors {
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + tensor.byteCount]]
            offset += tensor.byteCount
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
            for (_, tensor) in tensors {
                try handle.write(contentsOf: Data(bytesNoCopy: tensor.data, count: tensor.byteCount, deallocator: .none))
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
