import EmbeddingServing
import Wire

/// Slipstream's server half (arXiv 2404.04270): count pushes per row, snapshot the hot rows, and
/// report hot rows that barely moved since their snapshot as stale, so trainers can skip them.
///
/// Owned by the push endpoint's thread, like the rows it reads.
final class SlipstreamTracker {
    private var counts: [UInt32]
    /// Local row -> its values when last snapshotted.
    private var snapshot: [Int: [Float]] = [:]

    init(rows: Int) { counts = [UInt32](repeating: 0, count: rows) }

    func recordPush(_ ids: [Int64], shard: EmbeddingShard) {
        for id in ids where shard.owns(id) {
            let local = Int(id) / shard.shards
            counts[local] &+= 1
        }
    }

    /// Hot rows of the last snapshot whose relative change is below `threshold`; then a new
    /// snapshot of the `hotFraction` most pushed rows since the last one, and fresh counts.
    func query(threshold: Float, hotFraction: Float, shard: EmbeddingShard) -> (stale: [Int64], hotRows: Int) {
        var stale: [Int64] = []
        for (local, old) in snapshot {
            let row = shard.values(ofLocalRow: local)
            var change: Float = 0
            var size: Float = 0
            for c in 0..<shard.dim {
                change += (row[c] - old[c]) * (row[c] - old[c])
                size += old[c] * old[c]
            }
            if change.squareRoot() < threshold * max(size.squareRoot(), 1e-12) {
                stale.append(Int64(local * shard.shards + shard.shard))
            }
        }
        let hotCount = min(counts.count, Int((Float(counts.count) * max(0, min(1, hotFraction))).rounded()))
        let hot = counts.indices.filter { counts[$0] > 0 }.sorted { counts[$0] > counts[$1] }.prefix(hotCount)
        snapshot = Dictionary(
            uniqueKeysWithValues: hot.map { local in (local, shard.values(ofLocalRow: local)) })
        counts = [UInt32](repeating: 0, count: counts.count)
        return (stale.sorted(), snapshot.count)
    }
}
