import Model
import RowCodec
import Wire

/// The rows of the item table that one shard owns: ids with `id % shards == shard`, stored densely
/// at `id / shards`.
///
/// Holding only owned rows is what makes sharding a memory win; clients route each id to its shard.
public struct EmbeddingShard: Sendable {
    public let shard: Int
    public let shards: Int
    public let itemCount: Int
    public let dim: Int
    public let modelVersion: String
    /// Shared f32 storage: the parameter server's pushes update it in place, on the server's loop
    /// thread only (the same thread that serves lookups). Empty when the table is compressed.
    public let rows: Tensor
    /// The owned rows in a compressed format (serving only: pushes are refused), widened per lookup.
    public let compressed: CompressedTable?
    public let ownedRows: Int

    public init(table: Tensor, shard: Int, shards: Int, modelVersion: String) {
        precondition(shards >= 1 && shard >= 0 && shard < shards, "shard \(shard) of \(shards) is out of range")
        self.shard = shard
        self.shards = shards
        itemCount = table.rows
        dim = table.shape[1]
        self.modelVersion = modelVersion
        ownedRows = (itemCount - shard + shards - 1) / shards
        compressed = nil
        rows = Tensor(shape: [ownedRows, dim])
        for local in 0..<ownedRows {
            rows.row(local).update(from: table.row(local * shards + shard), count: dim)
        }
    }

    /// A shard of a table in any format: f32 rows become trainable storage; other formats stay
    /// compact (with one shard, the loaded table itself is kept: no second copy).
    public init(table: CompressedTable, shard: Int, shards: Int, modelVersion: String) {
        precondition(shards >= 1 && shard >= 0 && shard < shards, "shard \(shard) of \(shards) is out of range")
        self.shard = shard
        self.shards = shards
        itemCount = table.rows
        dim = table.dim
        self.modelVersion = modelVersion
        ownedRows = (itemCount - shard + shards - 1) / shards
        let owned = stride(from: shard, to: itemCount, by: shards)
        if table.format == .f32 {
            compressed = nil
            rows = Tensor(shape: [ownedRows, dim])
            for (local, id) in owned.enumerated() { table.decode(row: id, into: rows.row(local)) }
        } else {
            compressed = shards == 1 ? table : table.subset(Array(owned))
            rows = Tensor(shape: [0, dim])
        }
    }

    public var format: TableFormat { compressed?.format ?? .f32 }

    /// Whether pushes may train this shard: f32 rows, or a QR table's components when one shard
    /// holds every item (shards of a QR table would each train their own copy of the components).
    public var isTrainable: Bool { compressed == nil || (compressed!.format == .qr && shards == 1) }

    /// Rows of optimizer state training needs: one per owned row, or per QR component row.
    public var trainableRows: Int {
        guard let qr = compressed?.qr else { return ownedRows }
        return qr.quotient.rows + qr.divider
    }

    /// Owned row `local` as f32 values, in any format.
    public func values(ofLocalRow local: Int) -> [Float] {
        guard let compressed else { return Array(UnsafeBufferPointer(start: rows.row(local), count: dim)) }
        var values = [Float](repeating: 0, count: dim)
        compressed.decode(row: local, into: &values)
        return values
    }

    /// Memory the owned rows take in their format.
    public var tableBytes: Int { compressed?.byteCount ?? rows.byteCount }

    public func owns(_ id: Int64) -> Bool {
        id >= 0 && id < Int64(itemCount) && Int(id % Int64(shards)) == shard
    }

    /// Rows for `ids` in order, packed in the table's compact row encoding when `compact` and it
    /// has one (f16, bf16, int8 or int4 row-wise), else f32; NOT_FOUND names every id not held.
    public func lookup(_ ids: [Int64], compact: Bool) -> Result<EmbeddingRows, ServiceError> {
        guard compact, let compressed, let encoding = compressed.format.rowEncoding else {
            return lookup(ids).map { EmbeddingRows(modelVersion: modelVersion, dim: dim, rows: $0) }
        }
        let unknown = ids.filter { !owns($0) }
        if !unknown.isEmpty {
            return .failure(.unknownItems(Array(Set(unknown)).sorted(), itemCount: itemCount))
        }
        let size = encoding.bytesPerRow(dim: dim)
        var packed = [UInt8](repeating: 0, count: ids.count * size)
        packed.withUnsafeMutableBytes { out in
            for (i, id) in ids.enumerated() { compressed.pack(row: Int(id) / shards, into: out.baseAddress! + i * size) }
        }
        return .success(EmbeddingRows(modelVersion: modelVersion, dim: dim, encoding: encoding, packed: packed))
    }

    /// Rows for `ids` in order (duplicates looked up once each), or NOT_FOUND naming every id this
    /// shard does not hold.
    public func lookup(_ ids: [Int64]) -> Result<[Float], ServiceError> {
        let unknown = ids.filter { !owns($0) }
        if !unknown.isEmpty {
            return .failure(.unknownItems(Array(Set(unknown)).sorted(), itemCount: itemCount))
        }
        var out = [Float](repeating: 0, count: ids.count * dim)
        out.withUnsafeMutableBufferPointer { buffer in
            var firstPosition: [Int64: Int] = [:]
            for (i, id) in ids.enumerated() {
                let destination = buffer.baseAddress! + i * dim
                if let earlier = firstPosition[id] {
                    destination.update(from: buffer.baseAddress! + earlier * dim, count: dim)
                } else {
                    firstPosition[id] = i
                    if let compressed {
                        compressed.decode(row: Int(id) / shards, into: destination)
                    } else {
                        destination.update(from: rows.row(Int(id) / shards), count: dim)
                    }
                }
            }
        }
        return .success(out)
    }
}
