/// An append-only log of numbered records in segment files, so a process that crashes loses
/// nothing it synced and a restart can tell a complete record from a torn or corrupted one.
///
/// On disk: `wal-<first sequence>.log` files, each a run of records
///
///     +----------------+----------------+----------------+---------------------+
///     | length: u32 LE | crc32: u32 LE  | sequence: u64  | payload             |
///     +----------------+----------------+----------------+---------------------+
///                        crc32 and length cover sequence + payload
///
/// Sequences are consecutive across segments. A new segment starts at each snapshot (`rotate`), so
/// segments wholly covered by a kept snapshot can be deleted. Owned by one thread.
public final class WriteAheadLog {
    public static let headerBytes = 8
    /// Any length above this is corruption, not a record (pushes are bounded far below it).
    public static let maxRecordBytes = 256 << 20

    public let directory: String
    private var file: AppendOnlyFile
    private var segments: [UInt64]
    public private(set) var nextSequence: UInt64
    /// Bytes appended since the last `sync`.
    public private(set) var unsyncedBytes = 0

    /// Opens a fresh segment after `recovery` (which has already cut any damaged tail).
    public init(directory: String, after recovery: WriteAheadLogRecovery) throws(DurabilityError) {
        self.directory = directory
        nextSequence = recovery.nextSequence
        segments = recovery.segments.filter { $0 != recovery.nextSequence }
        file = try AppendOnlyFile(path: Self.segmentPath(directory, recovery.nextSequence))
        segments.append(recovery.nextSequence)
    }

    static func segmentName(_ first: UInt64) -> String {
        let digits = String(first)
        return "wal-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    static func segmentPath(_ directory: String, _ first: UInt64) -> String { directory + "/" + segmentName(first) }

    static func segmentStart(_ name: String) -> UInt64? {
        guard name.hasPrefix("wal-"), name.hasSuffix(".log") else { return nil }
        return UInt64(name.dropFirst(4).dropLast(4))
    }

    /// Appends one record (buffered by the OS until `sync`); returns its sequence number.
    @discardableResult
    public func append(_ payload: [UInt8]) throws(DurabilityError) -> UInt64 {
        let sequence = nextSequence
        var body = ByteWriter(capacity: 8 + payload.count)
        body.write(sequence)
        var framed = ByteWriter(capacity: Self.headerBytes + 8 + payload.count)
        framed.write(UInt32(8 + payload.count))
        let crc = Checksum.crc32(payload, continuing: Checksum.crc32(body.bytes))
        framed.write(crc)
        try file.append(framed.bytes + body.bytes + payload)
        unsyncedBytes += Self.headerBytes + 8 + payload.count
        nextSequence += 1
        return sequence
    }

    /// Makes every appended record durable.
    public func sync() throws(DurabilityError) {
        guard unsyncedBytes > 0 else { return }
        try file.sync()
        unsyncedBytes = 0
    }

    /// Syncs and starts a new segment at the next sequence.
    public func rotate() throws(DurabilityError) {
        try sync()
        guard segments.last != nextSequence else { return }
        file = try AppendOnlyFile(path: Self.segmentPath(directory, nextSequence))
        segments.append(nextSequence)
    }

    /// Deletes segments whose every record is at or below `sequence` (covered by a snapshot).
    public func removeSegments(through sequence: UInt64) throws(DurabilityError) {
        while segments.count > 1, segments[1] - 1 <= sequence {
            try PosixFile.remove(Self.segmentPath(directory, segments.removeFirst()))
        }
    }

    public var segmentCount: Int { segments.count }
}

extension Checksum {
    static func crc32(_ bytes: [UInt8], continuing previous: UInt32) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, continuing: previous) }
    }
}
