/// Little-endian encoding for the on-disk formats; fixed-width fields only, so a reader can check
/// every length against the bytes that remain before it trusts it.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Float) { write(value.bitPattern) }

    public mutating func write(_ values: UnsafeBufferPointer<Float>) {
        for value in values { write(value.bitPattern) }
    }

    /// A string as a 16-bit length and its UTF-8 bytes.
    public mutating func write(_ string: String) {
        let utf8 = Array(string.utf8.prefix(Int(UInt16.max)))
        write(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what `ByteWriter` wrote; every read checks the remaining length and throws on a short buffer.
public struct ByteReader {
    public struct Truncated: Error, CustomStringConvertible {
        public let needed: Int
        public let remaining: Int
        public var description: String { "needed \(needed) more bytes, \(remaining) remain" }
    }

    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(Truncated) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Truncated(needed: size, remaining: remaining) }
        var value: T = 0
        for i in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }

    public mutating func readFloat() throws(Truncated) -> Float { Float(bitPattern: try read(UInt32.self)) }

    public mutating func readFloats(_ count: Int) throws(Truncated) -> [Float] {
        guard count >= 0, remaining >= count * 4 else { throw Truncated(needed: count * 4, remaining: remaining) }
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count { out[i] = try readFloat() }
        return out
    }

    public mutating func readString() throws(Truncated) -> String {
        let count = Int(try read(UInt16.self))
        guard remaining >= count else { throw Truncated(needed: count, remaining: remaining) }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }
}
