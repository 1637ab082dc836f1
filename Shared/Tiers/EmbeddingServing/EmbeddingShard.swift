import Model
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
    /// Shared storage: the parameter server's pushes update it in place, on the server's loop
    /// thread only (the same thread that serves lookups).
    public let rows: Tensor

    public init(table: Tensor, shard: Int, shards: Int, modelVersion: String) {
        precondition(shards >= 1 && shard >= 0 && shard < shards, "shard \(shard) of \(shards) is out of range")
        self.shard = shard
        self.shards = shards
        itemCount = table.rows
        dim = table.shape[1]
        self.modelVersion = modelVersion
        let owned = (itemCount - shard + shards - 1) / shards
        rows = Tensor(shape: [owned, dim])
        for local in 0..<owned {
            rows.row(local).update(from: table.row(local * shards + shard), count: dim)
        }
    }

    public var ownedRows: Int { rows.rows }

    public func owns(_ id: Int64) -> Bool {
        id >= 0 && id < Int64(itemCount) && Int(id % Int64(shards)) == shard
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
                    destination.update(from: rows.row(Int(id) / shards), count: dim)
                }
            }
        }
        return .success(out)
    }
}
