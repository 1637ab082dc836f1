import Dataset
import Model
import Testing
import Training

/// Training examples have serving's structure: a prefix of the user's training sequence, then the
/// true next item, unseen sampled negatives and (when asked) items of the prefix itself.
@Suite struct SampleBuilderTests {
    static func split() throws -> LeaveOneOutSplit {
        var lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
        for item in 1...12 { lines.append("1\t\(item)\t5\t\(item * 10)") }
        for item in 13...40 { lines.append("2\t\(item)\t5\t\(item * 10)") }
        return LeaveOneOutSplit(SequenceDataset(try InteractionLog.parse(lines.joined(separator: "\n"))))
    }

    @Test func examplesArePrefixesWithTheirNextItemAndBothKindsOfNegatives() throws {
        let split = try Self.split()
        let builder = SampleBuilder(split: split, maxHistory: 5, negatives: 6, historyNegatives: 3)
        var rng = SeededRandom(seed: 3)
        let sequence = split.training[0]
        let interacted = split.allItems(of: 0)
        for sample in builder.samples(for: 0, count: 50, using: &rng) {
            let end = try #require(sequence.firstIndex(of: sample.candidates[0]))
            #expect(end >= 1 && sample.history == Array(sequence[max(0, end - 5)..<end]), "history is the prefix before the target")
            let sampled = sample.candidates[1...6]
            #expect(sampled.allSatisfy { !interacted.contains($0) }, "sampled negatives are unseen items")
            let seen = sample.candidates[7...]
            #expect(
                seen.count == min(3, sample.history.count) && seen.allSatisfy(sample.history.contains),
                "seen negatives come from the prefix")
            #expect(sample.labels == [1] + [Float](repeating: 0, count: sample.candidates.count - 1))
        }
    }
}
