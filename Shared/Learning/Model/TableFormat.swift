import RowCodec

/// How an item table is stored. f32 is what training produces (QR can be trained too); the others
/// are post-training conversions (`recctl compress`) that the embedding-server serves, widening
/// rows to f32 on lookup.
public enum TableFormat: String, Sendable, CaseIterable {
    case f32
    /// IEEE half precision: 2 bytes a value, relative error at most 2^-11 within its range.
    case f16
    /// bfloat16 (f32's exponent, 8 bits of mantissa): 2 bytes a value, relative error at most 2^-9.
    case bf16
    /// Per row: a u8 code a value plus an f32 scale and bias (FBGEMM's row-wise layout);
    /// absolute error at most scale / 2 = (row max - row min) / 510.
    case int8Rowwise = "int8-rowwise"
    /// Per row: two 4-bit codes a byte (low nibble first) plus an f32 scale and bias; absolute
    /// error at most scale / 2 = (row max - row min) / 30.
    case int4Rowwise = "int4-rowwise"
    /// Magnitude pruning: values below a table-wide threshold dropped (the smallest fraction of all
    /// values), the rest kept exactly in CSR (row offsets, column indices, values); lookups fill the
    /// dropped values with zeros. Absolute error at most the threshold.
    case prunedCSR = "pruned-csr"
    /// Quotient-remainder composition (`QuotientRemainder`): row i is `quotient[i / D] ⊙
    /// remainder[i % D]`. Trained as such (`recctl init-model --table qr`) or fitted after
    /// training; error bound: the fit's largest error, stored with the file (0 when trained as QR).
    case qr

    /// The metadata key naming the format in a model file (absent: f32).
    public static let metadataKey = "table_format"

    /// Bytes one row of `dim` values takes, scale and bias included; for pruning, with `kept` of
    /// the values kept (a u32 row offset, and a u16 column and an f32 value per kept value); for
    /// QR, with `kept` component rows per item ((ceil(N / D) + D) / N).
    public func bytesPerRow(dim: Int, kept: Double = 1) -> Double {
        switch self {
        case .f32: Double(4 * dim)
        case .f16, .bf16: Double(2 * dim)
        case .int8Rowwise: Double(dim + 8)
        case .int4Rowwise: Double((dim + 1) / 2 + 8)
        case .prunedCSR: 4 + 6 * Double(dim) * kept
        case .qr: Double(4 * dim) * kept
        }
    }

    var isRowwise: Bool { self == .int8Rowwise || self == .int4Rowwise }

    /// How one of this format's rows is packed to travel and be cached compact; nil for the
    /// formats whose rows are not stored one by one (pruned and QR rows travel widened to f32).
    public var rowEncoding: RowEncoding? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .int8Rowwise: .int8Rowwise
        case .int4Rowwise: .int4Rowwise
        case .prunedCSR, .qr: nil
        }
    }

    /// Largest code of a row-wise format.
    var levels: Float { self == .int8Rowwise ? 255 : 15 }
}
