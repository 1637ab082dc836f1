import Dataset
import Evaluation
import Foundation
import Testing

@Suite struct DatasetTests {
    static let text = """
        user_id:token\titem_id:token\trating:float\ttimestamp:float
        7\t10\t5\t300
        7\t2\t3\t100
        5\t10\t4\t50
        7\t9\t1\t300
        5\t2\t2\t60
        7\t100\t4\t200
        5\t9\t4\t70
        """

    @Test func denseIdsFollowNumericTokenOrderAndTiesKeepFileOrder() throws {
        let dataset = SequenceDataset(try InteractionLog.parse(Self.text))
        #expect(dataset.itemTokens == ["2", "9", "10", "100"])  // numeric, not lexicographic
        #expect(dataset.userTokens == ["5", "7"])
        // user 7: 2@100, 100@200, then 10 and 9 both @300 in file order (10 first).
        #expect(dataset.sequences[1] == [0, 3, 2, 1])
        #expect(dataset.sequences[0] == [2, 0, 1])
        #expect(dataset.interactionCount == 7)
    }

    @Test func leaveOneOutHoldsOutTheLastTwoItems() throws {
        let split = LeaveOneOutSplit(SequenceDataset(try InteractionLog.parse(Self.text)))
        #expect(split.training == [[2], [0, 3]])
        #expect(split.validation.map(\.target) == [0, 2])
        #expect(
            split.test == [
                EvaluationCase(user: 0, history: [2, 0], target: 1), EvaluationCase(user: 1, history: [0, 3, 2], target: 1),
            ])
    }

    @Test func malformedFilesAreRejectedWithTheLine() {
        #expect(throws: DatasetError.self) { try InteractionLog.parse("user_id:token\titem_id:token\n1\t2") }
        let error = #expect(throws: DatasetError.self) {
            try InteractionLog.parse("user_id:token\titem_id:token\ttimestamp:float\n1\t2\t3\n1\t2\tnot-a-time")
        }
        #expect(error?.description.contains(":3:") == true)
    }
}

@Suite struct MetricsTests {
    @Test func metricsFromKnownRanks() {
        var metrics = RankingMetrics(k: 10)
        for rank in [0, 1, 9, 10, 500] { metrics.add(rank: rank) }
        #expect(metrics.cases == 5)
        #expect(abs(metrics.hitRate - 3.0 / 5) < 1e-12)
        #expect(abs(metrics.ndcg - (1 + 1 / log2(3.0) + 1 / log2(11.0)) / 5) < 1e-12)
        #expect(abs(metrics.mrr - (1 + 0.5 + 0.1) / 5) < 1e-12)
    }

    @Test func tiesRankTheLowerIdFirst() {
        let scores: [Float] = [1, 5, 5, 0]
        #expect(TargetRank.rank(of: 2, scores: scores, among: 0..<4) == 1)  // item 1 ties and has the lower id
        #expect(TargetRank.rank(of: 1, scores: scores, among: 0..<4) == 0)
        #expect(TargetRank.rank(of: 3, scores: scores, among: [3, 0]) == 1)
    }
}

/// On the real MovieLens-100K (fetched by scripts/fetch-movielens.sh, which the test command runs).
@Suite struct MovieLensTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/ml-100k").path

    @Test(
        "split and most-popular match RecBole's protocol (needs scripts/fetch-movielens.sh)",
        .enabled(if: FileManager.default.fileExists(atPath: folder + "/ml-100k.inter")))
    func splitAndMostPopularMatchRecBolesProtocol() throws {
        let dataset = SequenceDataset(try InteractionLog.load(path: Self.folder + "/ml-100k.inter"))
        #expect(dataset.userCount == 943 && dataset.itemCount == 1_682 && dataset.interactionCount == 100_000)
        let split = LeaveOneOutSplit(dataset)
        #expect(split.test.count == 943)
        let report = Evaluator.evaluate(PopularityRanker(split: split), cases: split.test, split: split)
        // The anchor for most-popular, seen items excluded: about HR@10 0.086, NDCG@10 0.045.
        #expect(abs(report.fullSeenExcluded.hitRate - 0.0859) < 0.0006)
        #expect(abs(report.fullSeenExcluded.ndcg - 0.0449) < 0.0006)
        #expect(report.full.hitRate < report.fullSeenExcluded.hitRate)
        let catalog = try ItemCatalog(path: Self.folder + "/ml-100k.item", dataset: dataset)
        #expect(catalog.title(0) == "Toy Story (1995)")
        #expect(catalog.describe(0) == "Toy Story (1995)  [Animation, Children's, Comedy]")
    }
}
