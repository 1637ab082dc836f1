/// What a write-ahead log held at start: every intact record in order, and where it was damaged.
///
/// Reading stops at the first record that is torn (shorter than its header says), fails its
/// checksum, or breaks the sequence; that segment is cut there and any later segments are renamed
/// `*.orphaned`, because records after a gap would rebuild a state that never existed.
public struct WriteAheadLogRecovery {
    public struct Record {
        public let sequence: UInt64
        public let payload: [UInt8]
    }

    /// Where the log was damaged and what was cut.
    public struct Damage: CustomStringConvertible {
        public let segment: String
        public let offset: Int
        public let bytesCut: Int
        public let reason: String
        public let orphanedSegments: [String]

        public var description: String {
            var text = "\(segment) is damaged at byte \(offset) (\(reason)); cut \(bytesCut) bytes"
            if !orphanedSegments.isEmpty { text += "; set aside later segments \(orphanedSegments.joined(separator: ", "))" }
            return text
        }
    }

    public private(set) var records: [Record] = []
    public private(set) var damage: Damage?
    /// Start sequences of the segments kept.
    public private(set) var segments: [UInt64] = []
    public private(set) var nextSequence: UInt64 = 1

    /// Reads every segment in `directory` (created if missing), cutting a damaged tail on disk.
    public init(directory: String) throws(DurabilityError) {
        try PosixFile.makeDirectory(directory)
        let starts = try PosixFile.list(directory).compactMap(WriteAheadLog.segmentStart).sorted()
        for (index, start) in starts.enumerated() {
            let path = WriteAheadLog.segmentPath(directory, start)
            if records.isEmpty && segments.isEmpty { nextSequence = start }
            segments.append(start)
            if start != nextSequence {
                try cut(path, at: 0, size: try PosixFile.read(path).count, "segment starts at \(start), expected \(nextSequence)")
            } else {
                let bytes = try PosixFile.read(path)
                if let (offset, reason) = readRecords(bytes) {
                    try cut(path, at: offset, size: bytes.count, reason)
                }
            }
            if damage != nil {
                let later = starts[(index + 1)...].map { WriteAheadLog.segmentPath(directory, $0) }
                for orphan in later { try PosixFile.rename(orphan, to: orphan + ".orphaned") }
                damage = Damage(
                    segment: damage!.segment, offset: damage!.offset, bytesCut: damage!.bytesCut, reason: damage!.reason,
                    orphanedSegments: later.map { $0 + ".orphaned" })
                return
            }
        }
    }

    /// Appends intact records; returns where and why reading stopped early, if it did.
    private mutating func readRecords(_ bytes: [UInt8]) -> (Int, String)? {
        var reader = ByteReader(bytes)
        while reader.remaining > 0 {
            let start = reader.offset
            guard reader.remaining >= WriteAheadLog.headerBytes else {
                return (start, "torn record header: \(reader.remaining) of \(WriteAheadLog.headerBytes) bytes")
            }
            let length = Int(try! reader.read(UInt32.self))
            let crc = try! reader.read(UInt32.self)
            guard length >= 8, length <= WriteAheadLog.maxRecordBytes else {
                return (start, "record length \(length) is impossible")
            }
            guard reader.remaining >= length else {
                return (start, "torn record: \(reader.remaining) of \(length) bytes")
            }
            let body = Array(bytes[reader.offset..<(reader.offset + length)])
            guard Checksum.crc32(body) == crc else { return (start, "checksum mismatch") }
            var bodyReader = ByteReader(body)
            let sequence = try! bodyReader.read(UInt64.self)
            guard sequence == nextSequence else {
                return (start, "record \(sequence) out of order, expected \(nextSequence)")
            }
            records.append(Record(sequence: sequence, payload: Array(body[8...])))
            nextSequence += 1
            reader = ByteReader(bytes, offset: reader.offset + length)
        }
        return nil
    }

    private mutating func cut(_ path: String, at offset: Int, size: Int, _ reason: String) throws(DurabilityError) {
        try PosixFile.truncate(path, to: offset)
        try PosixFile.syncDirectory(containing: path)
        damage = Damage(
            segment: path, offset: offset, bytesCut: size - offset, reason: reason, orphanedSegments: [])
    }
}
