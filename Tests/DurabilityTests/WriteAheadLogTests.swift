import Durability
import Foundation
import Testing

/// The log's contract: every synced record comes back in order; a torn or corrupted tail is
/// reported, cut on disk, and never returned; appending continues after the intact prefix.
@Suite struct WriteAheadLogTests {
    static func scratch() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func payload(_ index: Int) -> [UInt8] { (0..<(10 + index * 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }

    /// Writes `count` records and returns the segment path and each record's end offset.
    static func write(_ count: Int, to directory: String) throws -> (segment: String, ends: [Int]) {
        let log = try WriteAheadLog(directory: directory, after: WriteAheadLogRecovery(directory: directory))
        for index in 0..<count { try log.append(payload(index)) }
        try log.sync()
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted().last!
        var ends: [Int] = []
        var offset = 0
        for index in 0..<count {
            offset += WriteAheadLog.headerBytes + 8 + payload(index).count
            ends.append(offset)
        }
        return (directory + "/" + segment, ends)
    }

    @Test func recordsComeBackInOrder() throws {
        let directory = Self.scratch()
        _ = try Self.write(20, to: directory)
        let recovery = try WriteAheadLogRecovery(directory: directory)
        #expect(recovery.damage == nil)
        #expect(recovery.records.map(\.sequence) == Array(1...20))
        #expect(recovery.records.map(\.payload) == (0..<20).map(Self.payload))
        #expect(recovery.nextSequence == 21)
    }

    /// Cut the file at every byte of the last record: each is reported and the first 4 kept.
    @Test func tornTailAtEveryOffsetIsCut() throws {
        let directory = Self.scratch()
        let (segment, ends) = try Self.write(5, to: directory)
        let whole = try Data(contentsOf: URL(fileURLWithPath: segment))
        for length in (ends[3] + 1)..<ends[4] {
            try whole.prefix(length).write(to: URL(fileURLWithPath: segment))
            let recovery = try WriteAheadLogRecovery(directory: directory)
            #expect(recovery.records.count == 4, "cut at \(length)")
            #expect(recovery.damage?.offset == ends[3] && recovery.damage?.bytesCut == length - ends[3], "cut at \(length)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: segment)).count == ends[3], "not cut on disk at \(length)")
        }
    }

    @Test func flippedByteAnywhereInTheLastRecordIsCaught() throws {
        let directory = Self.scratch()
        let (segment, ends) = try Self.write(5, to: directory)
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        for position in ends[3]..<ends[4] {
            var bytes = whole
            bytes[position] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
            let recovery = try WriteAheadLogRecovery(directory: directory)
            #expect(recovery.records.count == 4 && recovery.damage?.offset == ends[3], "flip at \(position)")
        }
    }

    @Test func appendingContinuesAfterTheCutAndTheNextStartIsClean() throws {
        let directory = Self.scratch()
        let (segment, ends) = try Self.write(3, to: directory)
        try Data(try Data(contentsOf: URL(fileURLWithPath: segment)).prefix(ends[2] - 5)).write(to: URL(fileURLWithPath: segment))
        let recovery = try WriteAheadLogRecovery(directory: directory)
        #expect(recovery.damage != nil && recovery.nextSequence == 3)
        let log = try WriteAheadLog(directory: directory, after: recovery)
        #expect(try log.append([42]) == 3)
        try log.sync()
        let again = try WriteAheadLogRecovery(directory: directory)
        #expect(again.damage == nil)
        #expect(again.records.map(\.sequence) == [1, 2, 3] && again.records.last?.payload == [42])
    }

    @Test func damageInAnEarlierSegmentSetsLaterSegmentsAside() throws {
        let directory = Self.scratch()
        let log = try WriteAheadLog(directory: directory, after: WriteAheadLogRecovery(directory: directory))
        for index in 0..<3 { try log.append(Self.payload(index)) }
        try log.rotate()
        for index in 3..<6 { try log.append(Self.payload(index)) }
        try log.sync()
        let first = directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: directory).sorted().first!)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: first)))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: first))
        let recovery = try WriteAheadLogRecovery(directory: directory)
        #expect(recovery.records.map(\.sequence) == [1, 2])
        #expect(recovery.damage?.orphanedSegments.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).contains { $0.hasSuffix(".orphaned") })
    }

    @Test func segmentsCoveredByTheOldestKeptSnapshotAreRemoved() throws {
        let directory = Self.scratch()
        let log = try WriteAheadLog(directory: directory, after: WriteAheadLogRecovery(directory: directory))
        for round in 0..<4 {
            for index in 0..<3 { try log.append(Self.payload(round * 3 + index)) }
            try log.rotate()
        }
        #expect(log.segmentCount == 5)
        try log.removeSegments(through: 6)
        #expect(log.segmentCount == 3)
        let recovery = try WriteAheadLogRecovery(directory: directory)
        #expect(recovery.records.map(\.sequence) == Array(7...12))
    }
}

@Suite struct SnapshotStoreTests {
    @Test func newestIntactSnapshotWinsAndDamagedOnesAreReported() throws {
        let directory = WriteAheadLogTests.scratch()
        let store = SnapshotStore(directory: directory, keep: 2)
        try store.write(sequence: 5, payload: [1, 2, 3])
        try store.write(sequence: 9, payload: [4, 5, 6, 7])
        try store.write(sequence: 12, payload: [8])
        #expect(try store.sequences() == [9, 12])
        #expect(try store.loadNewest().snapshot?.payload == [8])

        let newest = directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: directory).sorted().last!)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: newest)))
        bytes[bytes.count - 1] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: newest))
        let (snapshot, rejected) = try store.loadNewest()
        #expect(snapshot?.sequence == 9 && snapshot?.payload == [4, 5, 6, 7])
        #expect(rejected.count == 1 && rejected[0].contains("checksum mismatch"))

        try Data(bytes.prefix(10)).write(to: URL(fileURLWithPath: newest))
        #expect(try store.loadNewest().snapshot?.sequence == 9)
    }

    @Test func noTemporaryFileIsLeftBehind() throws {
        let directory = WriteAheadLogTests.scratch()
        try SnapshotStore(directory: directory).write(sequence: 1, payload: Array(repeating: 7, count: 100_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.hasSuffix(".tmp") })
    }
}
