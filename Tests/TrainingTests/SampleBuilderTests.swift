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

    /// Popularity-drawn negatives follow training popularity^0.75, and still skip what the user saw.
    @Test func popularNegativesFollowSmoothedPopularity() throws {
        // Item 1 is in 9 users' sequences, items 2...10 in one each (user u has 1, then u + 1, then 20 + u).
        var lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
        for user in 1...9 {
            for (step, item) in [1, user + 1, 20 + user, 40 + user].enumerated() { lines.append("\(user)\t\(item)\t5\t\(step)") }
        }
        lines += ["10\t50\t5\t1", "10\t51\t5\t2", "10\t52\t5\t3", "10\t53\t5\t4"]
        let split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.parse(lines.joined(separator: "\n"))))
        let builder = SampleBuilder(split: split, maxHistory: 5, negatives: 4, popularNegatives: 4)
        var rng = SeededRandom(seed: 5)
        let user = try #require(split.dataset.sequences.firstIndex { $0.count == 4 && !$0.contains(split.dataset.sequences[0][0]) })
        let popular = split.dataset.sequences[0][0]
        let interacted = split.allItems(of: user)
        var draws: [Int64: Int] = [:]
        for sample in builder.samples(for: user, count: 2_000, using: &rng) {
            for item in sample.candidates[1...] {
                #expect(!interacted.contains(item))
                draws[item, default: 0] += 1
            }
        }
        // Training counts: the popular item 9 times, others once or twice: its share of the
        // smoothed weights of the items this user may get is far above uniform's.
        let share = Double(draws[popular] ?? 0) / Double(draws.values.reduce(0, +))
        let uniform = 1 / Double(draws.count)
        #expect(share > 2.5 * uniform, "popular item drawn \(share), uniform would be \(uniform)")
    }
}
