/// How one embedding row is laid out in bytes where it travels or is cached compact: f32, f16 or
/// bf16 values, or FBGEMM's row-wise codes (u8, or two u4 a byte with the low nibble first)
/// followed by the row's f32 scale and bias (value = code × scale + bias). The embedding-server
/// sends an int8 or int4 table's rows this way and receivers widen them per use, so the table's
/// compactness carries over the wire and into the scorer's and encoder's row caches.
public enum RowEncoding: UInt8, Sendable, CaseIterable {
    case f32, f16, bf16, int8Rowwise, int4Rowwise

    /// Bytes of the codes (values) of a row of `dim`.
    public func codeBytes(dim: Int) -> Int {
        switch self {
        case .f32: 4 * dim
        case .f16, .bf16: 2 * dim
        case .int8Rowwise: dim
        case .int4Rowwise: (dim + 1) / 2
        }
    }

    public var isRowwise: Bool { self == .int8Rowwise || self == .int4Rowwise }

    /// Bytes of a packed row: its codes, then for the row-wise encodings its scale and bias.
    public func bytesPerRow(dim: Int) -> Int { codeBytes(dim: dim) + (isRowwise ? 8 : 0) }

    /// Widens codes to `dim` f32 values; `scale` and `bias` are used by the row-wise encodings.
    @inlinable
    public func decode(codes: UnsafeRawPointer, scale: Float, bias: Float, dim: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32:
            UnsafeMutableRawPointer(destination).copyMemory(from: codes, byteCount: 4 * dim)
        case .f16:
            for i in 0..<dim { destination[i] = Float(Float16(bitPattern: codes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<dim {
                destination[i] = Float(bitPattern: UInt32(codes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .int8Rowwise:
            let bytes = codes.assumingMemoryBound(to: UInt8.self)
            for i in 0..<dim { destination[i] = Float(bytes[i]) * scale + bias }
        case .int4Rowwise:
            let bytes = codes.assumingMemoryBound(to: UInt8.self)
            for i in 0..<dim {
                let code = i % 2 == 0 ? bytes[i / 2] & 0x0F : bytes[i / 2] >> 4
                destination[i] = Float(code) * scale + bias
            }
        }
    }

    /// Widens a packed row (`bytesPerRow(dim:)` bytes) to `dim` f32 values.
    @inlinable
    public func decode(packed: UnsafeRawPointer, dim: Int, into destination: UnsafeMutablePointer<Float>) {
        let codeBytes = codeBytes(dim: dim)
        let (scale, bias) =
            isRowwise
            ? (
                packed.loadUnaligned(fromByteOffset: codeBytes, as: Float.self),
                packed.loadUnaligned(fromByteOffset: codeBytes + 4, as: Float.self)
            )
            : (Float(0), Float(0))
        decode(codes: packed, scale: scale, bias: bias, dim: dim, into: destination)
    }

    /// Writes a packed row from its codes (and scale and bias for the row-wise encodings).
    public func pack(codes: UnsafeRawPointer, scale: Float, bias: Float, dim: Int, into destination: UnsafeMutableRawPointer) {
        let codeBytes = codeBytes(dim: dim)
        destination.copyMemory(from: codes, byteCount: codeBytes)
        guard isRowwise else { return }
        destination.storeBytes(of: scale, toByteOffset: codeBytes, as: Float.self)
        destination.storeBytes(of: bias, toByteOffset: codeBytes + 4, as: Float.self)
    }
}
