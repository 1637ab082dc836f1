/// Checksummed snapshots of a state as of a log sequence number, written atomically.
///
/// On disk: `snapshot-<sequence>.snap`, each
///
///     +---------------+----------------+-------------------+----------------+----------+
///     | magic "RSSNAP1\0" | sequence: u64 | payload length: u64 | crc32: u32 | payload  |
///     +---------------+----------------+-------------------+----------------+----------+
///                                    crc32 covers sequence, length and payload
///
/// The newest `keep` snapshots are kept, so a damaged newest one falls back to the one before it
/// (the log keeps the segments that fallback needs).
public struct SnapshotStore: Sendable {
    static let magic: [UInt8] = Array("RSSNAP1".utf8) + [0]

    public struct Snapshot {
        public let sequence: UInt64
        public let payload: [UInt8]
    }

    public let directory: String
    public let keep: Int

    public init(directory: String, keep: Int = 2) {
        precondition(keep >= 1, "keep at least one snapshot")
        self.directory = directory
        self.keep = keep
    }

    func path(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return directory + "/snapshot-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".snap"
    }

    /// Sequences of the snapshots on disk, oldest first.
    public func sequences() throws(DurabilityError) -> [UInt64] {
        try PosixFile.list(directory).compactMap { name -> UInt64? in
            guard name.hasPrefix("snapshot-"), name.hasSuffix(".snap") else { return nil }
            return UInt64(name.dropFirst(9).dropLast(5))
        }.sorted()
    }

    /// Writes a snapshot and deletes all but the newest `keep`; returns the oldest sequence kept.
    @discardableResult
    public func write(sequence: UInt64, payload: [UInt8]) throws(DurabilityError) -> UInt64 {
        var covered = ByteWriter(capacity: 16 + payload.count)
        covered.write(sequence)
        covered.write(UInt64(payload.count))
        let crc = Checksum.crc32(payload, continuing: Checksum.crc32(covered.bytes))
        var header = ByteWriter(capacity: 32)
        header.write(crc)
        try PosixFile.writeAtomically(path(sequence), Self.magic + covered.bytes + header.bytes + payload)
        let all = try sequences()
        for old in all.dropLast(keep) { try PosixFile.remove(path(old)) }
        return all.suffix(keep).first ?? sequence
    }

    /// The newest snapshot that reads back intact, and why each newer one was rejected.
    public func loadNewest() throws(DurabilityError) -> (snapshot: Snapshot?, rejected: [String]) {
        var rejected: [String] = []
        for sequence in try sequences().reversed() {
            let file = path(sequence)
            switch Self.decode(try PosixFile.read(file)) {
            case .success(let snapshot) where snapshot.sequence == sequence: return (snapshot, rejected)
            case .success(let snapshot): rejected.append("\(file): names sequence \(snapshot.sequence)")
            case .failure(let reason): rejected.append("\(file): \(reason)")
            }
        }
        return (nil, rejected)
    }

    static func decode(_ bytes: [UInt8]) -> Result<Snapshot, ReasonText> {
        guard bytes.count >= magic.count + 20, Array(bytes[0..<magic.count]) == magic else {
            return .failure(ReasonText("not a snapshot (bad magic or shorter than its header)"))
        }
        var reader = ByteReader(bytes, offset: magic.count)
        let sequence = try! reader.read(UInt64.self)
        let length = try! reader.read(UInt64.self)
        let crc = try! reader.read(UInt32.self)
        guard UInt64(reader.remaining) == length else {
            return .failure(ReasonText("payload is \(reader.remaining) bytes, header says \(length)"))
        }
        let payload = Array(bytes[reader.offset...])
        let covered = Array(bytes[magic.count..<(magic.count + 16)])
        guard Checksum.crc32(payload, continuing: Checksum.crc32(covered)) == crc else {
            return .failure(ReasonText("checksum mismatch"))
        }
        return .success(Snapshot(sequence: sequence, payload: payload))
    }
}

/// A reason as an error value, for results whose failure is only ever reported.
public struct ReasonText: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
