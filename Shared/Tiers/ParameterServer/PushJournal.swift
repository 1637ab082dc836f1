import Clocks
import Durability
import EmbeddingServing
import Logging
import Model

/// Makes acknowledged pushes survive a crash: after-images of pushed rows go to a write-ahead log
/// that is synced before the push is acknowledged, and the whole shard with its optimizer state is
/// snapshotted periodically so the log stays short.
///
/// After-images (the row and its accumulator after the update), not gradients, are logged: replay is
/// then a copy, idempotent and independent of floating-point order.
///
///     record:   version: str | count: u32 | dim: u32 | count x (id: i64 | accumulator: f32 | row: dim x f32)
///     snapshot: version: str | shard: u32 | shards: u32 | rows: u32 | dim: u32 | rows x dim f32 | rows x f32
///
/// Owned by the embedding-server's loop thread.
public final class PushJournal {
    /// When an appended push is synced (and only then acknowledged).
    public enum SyncPolicy: Sendable, Equatable, CustomStringConvertible {
        /// Sync after each batch of pushes read from the socket, before replying.
        case everyPush
        /// Group commit: sync at most this often; replies wait for the sync that covers them.
        case interval(Duration)

        public var description: String {
            switch self {
            case .everyPush: "every push"
            case .interval(let interval): "every \(interval.milliseconds) ms"
            }
        }
    }

    public struct Configuration: Sendable {
        public var directory: String
        public var syncPolicy: SyncPolicy = .everyPush
        public var snapshotInterval: Duration = .seconds(60)

        public init(directory: String) { self.directory = directory }
    }

    /// What start-up found and did, for the log.
    public struct RecoveryReport: Sendable {
        public var snapshotSequence: UInt64?
        public var rejectedSnapshots: [String] = []
        public var recordsReplayed = 0
        public var recordsOfOtherVersions = 0
        public var damage: String?
    }

    public let configuration: Configuration
    private let log: WriteAheadLog
    private let snapshots: SnapshotStore
    private var lastSnapshot: Instant

    private init(configuration: Configuration, log: WriteAheadLog, now: Instant) {
        self.configuration = configuration
        self.log = log
        snapshots = SnapshotStore(directory: configuration.directory)
        lastSnapshot = now
    }

    /// Restores `shard` (freshly loaded from the model file) and `optimizer` from the newest valid
    /// snapshot of the same model version and the log after it, and opens the log for appending.
    public static func recover(
        _ configuration: Configuration, shard: EmbeddingShard, optimizer: RowWiseAdagrad, now: Instant
    ) throws(DurabilityError) -> (PushJournal, RecoveryReport) {
        var report = RecoveryReport()
        let recovery = try WriteAheadLogRecovery(directory: configuration.directory)
        report.damage = recovery.damage?.description
        let (snapshot, rejected) = try SnapshotStore(directory: configuration.directory).loadNewest()
        report.rejectedSnapshots = rejected
        var base: UInt64 = 0
        if let snapshot {
            switch restore(snapshot: snapshot.payload, into: shard, optimizer: optimizer) {
            case .success: (base, report.snapshotSequence) = (snapshot.sequence, snapshot.sequence)
            case .failure(let reason): report.rejectedSnapshots.append("snapshot \(snapshot.sequence): \(reason)")
            }
        }
        for record in recovery.records where record.sequence > base {
            switch replay(record.payload, into: shard, optimizer: optimizer) {
            case .success(true): report.recordsReplayed += 1
            case .success(false): report.recordsOfOtherVersions += 1
            case .failure(let reason):
                throw DurabilityError(
                    path: configuration.directory, operation: "replay record \(record.sequence)",
                    reason: "\(reason) (its checksum matched, so the log was written by an incompatible build)")
            }
        }
        let log = try WriteAheadLog(directory: configuration.directory, after: recovery)
        return (PushJournal(configuration: configuration, log: log, now: now), report)
    }

    /// Appends the after-images of `ids` (deduplicated by the caller or not: replay is idempotent).
    public func append(ids: [Int64], shard: EmbeddingShard, optimizer: RowWiseAdagrad) throws(DurabilityError) {
        var writer = ByteWriter(capacity: 16 + ids.count * (12 + shard.dim * 4))
        writer.write(shard.modelVersion)
        writer.write(UInt32(ids.count))
        writer.write(UInt32(shard.dim))
        for id in ids {
            let local = Int(id) / shard.shards
            writer.write(id)
            writer.write(optimizer.accumulators[local])
            writer.write(UnsafeBufferPointer(start: shard.rows.row(local), count: shard.dim))
        }
        try log.append(writer.bytes)
    }

    public func sync() throws(DurabilityError) { try log.sync() }

    public func snapshotDue(now: Instant) -> Bool {
        now - lastSnapshot >= configuration.snapshotInterval
    }

    /// Snapshots the shard as of the last appended record, then drops log segments no kept
    /// snapshot needs. Returns the snapshot's sequence.
    @discardableResult
    public func snapshot(shard: EmbeddingShard, optimizer: RowWiseAdagrad, now: Instant) throws(DurabilityError) -> UInt64 {
        try log.rotate()
        let sequence = log.nextSequence - 1
        var writer = ByteWriter(capacity: 32 + shard.ownedRows * (shard.dim + 1) * 4)
        writer.write(shard.modelVersion)
        for value in [shard.shard, shard.shards, shard.ownedRows, shard.dim] { writer.write(UInt32(value)) }
        writer.write(UnsafeBufferPointer(start: shard.rows.row(0), count: shard.ownedRows * shard.dim))
        optimizer.accumulators.withUnsafeBufferPointer { writer.write($0) }
        let oldestKept = try snapshots.write(sequence: sequence, payload: writer.bytes)
        try log.removeSegments(through: oldestKept)
        lastSnapshot = now
        return sequence
    }

    private static func restore(snapshot: [UInt8], into shard: EmbeddingShard, optimizer: RowWiseAdagrad) -> Result<Void, ReasonText> {
        var reader = ByteReader(snapshot)
        do {
            let version = try reader.readString()
            guard version == shard.modelVersion else {
                return .failure(ReasonText("is of model version \(version), serving \(shard.modelVersion)"))
            }
            let shape = try (0..<4).map { _ throws(ByteReader.Truncated) in Int(try reader.read(UInt32.self)) }
            guard shape == [shard.shard, shard.shards, shard.ownedRows, shard.dim] else {
                return .failure(
                    ReasonText(
                        "shape \(shape) does not match shard/shards/rows/dim \([shard.shard, shard.shards, shard.ownedRows, shard.dim])"))
            }
            let values = try reader.readFloats(shard.ownedRows * shard.dim)
            let accumulators = try reader.readFloats(shard.ownedRows)
            values.withUnsafeBufferPointer { shard.rows.row(0).update(from: $0.baseAddress!, count: $0.count) }
            optimizer.accumulators = accumulators
            return .success(())
        } catch {
            return .failure(ReasonText("truncated: \(error)"))
        }
    }

    /// Applies one record; `false` when it belongs to another model version (skipped).
    private static func replay(_ payload: [UInt8], into shard: EmbeddingShard, optimizer: RowWiseAdagrad) -> Result<Bool, ReasonText> {
        var reader = ByteReader(payload)
        do {
            guard try reader.readString() == shard.modelVersion else { return .success(false) }
            let count = Int(try reader.read(UInt32.self))
            let dim = Int(try reader.read(UInt32.self))
            guard dim == shard.dim else { return .failure(ReasonText("row width \(dim), serving \(shard.dim)")) }
            for _ in 0..<count {
                let id = try reader.read(Int64.self)
                guard shard.owns(id) else { return .failure(ReasonText("id \(id) is not in this shard")) }
                let local = Int(id) / shard.shards
                optimizer.accumulators[local] = try reader.readFloat()
                let row = try reader.readFloats(dim)
                row.withUnsafeBufferPointer { shard.rows.row(local).update(from: $0.baseAddress!, count: dim) }
            }
            return .success(true)
        } catch {
            return .failure(ReasonText("truncated: \(error)"))
        }
    }
}

extension PushJournal.RecoveryReport {
    /// One log line's metadata.
    public var metadata: Logger.Metadata {
        [
            "snapshot": "\(snapshotSequence.map(String.init) ?? "none")",
            "replayed-records": "\(recordsReplayed)",
            "skipped-other-version": "\(recordsOfOtherVersions)",
        ]
    }
}
