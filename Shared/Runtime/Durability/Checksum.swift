import CZlib

/// CRC-32 (zlib's), used to tell a complete record or snapshot from a torn or corrupted one.
public enum Checksum {
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return previous }
        return UInt32(CZlib.crc32(UInt(previous), base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0) }
    }
}
