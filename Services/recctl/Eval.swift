import ArgumentParser
import Dataset
import Evaluation
import Foundation
import Model

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model on MovieLens-100K's leave-one-out split, beside the most-popular baseline.",
        discussion: """
            Reports HR@k, NDCG@k and MRR@k three ways: full ranking over all items with the user's history still \
            eligible (RecBole's protocol), full ranking with it excluded, and against 100 sampled unseen items.
            """)

    @Option(help: "Model file whose item ids are the dataset's dense ids (0 = item token 1).")
    var model: String?
    @Option(help: "Folder with ml-100k.inter (scripts/fetch-movielens.sh).")
    var data = "data/ml-100k"
    @Option(help: "Which targets: test (last item) or valid (second-last).")
    var split = "test"
    @Option(name: .short, help: "Cut-off for the metrics.")
    var k = 10
    @Option(help: "Seed for the sampled negatives.")
    var seed: UInt64 = 1
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard ["test", "valid"].contains(split) else { throw ValidationError("--split is test or valid") }
    }

    func run() throws {
        let dataset = SequenceDataset(try InteractionLog.load(path: data + "/ml-100k.inter"))
        let leaveOneOut = LeaveOneOutSplit(dataset)
        let cases = split == "test" ? leaveOneOut.test : leaveOneOut.validation
        var rankers: [any Ranker] = [PopularityRanker(split: leaveOneOut)]
        if let model {
            let file = try ModelFile.load(path: model, itemTable: true)
            guard file.config.itemCount == dataset.itemCount else {
                throw ValidationError("\(model) has \(file.config.itemCount) items but the dataset has \(dataset.itemCount)")
            }
            rankers.append(ModelRanker(file: file, name: "model \(file.config.version)"))
        }
        let reports = rankers.map { Evaluator.evaluate($0, cases: cases, split: leaveOneOut, k: k, seed: seed) }
        if json {
            let rows = reports.map { report -> [String: Any] in
                func metrics(_ m: RankingMetrics) -> [String: Double] { ["hr": m.hitRate, "ndcg": m.ndcg, "mrr": m.mrr] }
                return [
                    "ranker": report.ranker, "full": metrics(report.full), "full_seen_excluded": metrics(report.fullSeenExcluded),
                    "sampled_100": metrics(report.sampled100),
                ]
            }
            let data = try JSONSerialization.data(
                withJSONObject: ["k": k, "split": split, "users": cases.count, "results": rows], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(
            "MovieLens-100K: \(dataset.userCount) users, \(dataset.itemCount) items, \(dataset.interactionCount) interactions; \(split) split, \(cases.count) users, k=\(k)"
        )
        print("ranker                     protocol                 HR@\(k)    NDCG@\(k)  MRR@\(k)")
        for report in reports {
            for (protocolName, metrics) in [
                ("full, seen kept (RecBole)", report.full), ("full, seen excluded", report.fullSeenExcluded),
                ("100 sampled negatives", report.sampled100),
            ] {
                let name = report.ranker.padding(toLength: 26, withPad: " ", startingAt: 0)
                let protocolColumn = protocolName.padding(toLength: 24, withPad: " ", startingAt: 0)
                print("\(name) \(protocolColumn) " + String(format: "%.4f   %.4f   %.4f", metrics.hitRate, metrics.ndcg, metrics.mrr))
            }
        }
    }
}
