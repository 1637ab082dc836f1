import ArgumentParser
import Dataset
import Evaluation
import Foundation
import Generative
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
    @Flag(help: "Also rank with int8 dense layers (int8 weights and activations), beside f32: the quantized path's quality.")
    var int8Dense = false
    @Option(
        help: ArgumentHelp(
            "With a model that has a generator: also evaluate generative retrieval at these numbers of generated items.",
            discussion:
                "For each N: generation of N items then the scorer's re-selection among them, and the generator's recall@N; plus the generator alone (top k by log-probability among the largest N)."
        ))
    var generate: String?

    func validate() throws {
        guard ["test", "valid"].contains(split) else { throw ValidationError("--split is test or valid") }
        if let generate { _ = try Self.widths(generate) }
    }

    static func widths(_ text: String) throws -> [Int] {
        let widths = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--generate takes positive counts separated by commas, e.g. 50,100,256")
        }
        return widths.map { $0! }
    }

    func run() throws {
        let dataset = SequenceDataset(try InteractionLog.load(path: data + "/ml-100k.inter"))
        let leaveOneOut = LeaveOneOutSplit(dataset)
        let cases = split == "test" ? leaveOneOut.test : leaveOneOut.validation
        var rankers: [any Ranker] = [PopularityRanker(split: leaveOneOut)]
        var recalls: [(n: Int, recall: Double)] = []
        if let model {
            let file = try ModelFile.load(path: model, itemTable: true, semanticIDs: generate != nil)
            guard file.config.itemCount == dataset.itemCount else {
                throw ValidationError("\(model) has \(file.config.itemCount) items but the dataset has \(dataset.itemCount)")
            }
            rankers.append(ModelRanker(file: file, name: "model \(file.config.version)"))
            if int8Dense {
                rankers.append(ModelRanker(file: file, name: "model \(file.config.version), int8 dense layers", dense: .int8))
            }
            if let generate {
                guard let ids = file.semanticIDs, let weights = file.generator else {
                    throw ValidationError("\(model) has no generator; train one with scripts/train-generator.sh first")
                }
                let generator = Generator(config: file.config, weights: weights, ids: ids)
                let widths = try Self.widths(generate)
                rankers.append(
                    GenerativeRanker(file: file, generator: generator, width: widths.max()!, order: .generator, name: "generator alone"))
                for n in widths {
                    let ranker = GenerativeRanker(
                        file: file, generator: generator, width: n, order: .scorer, name: "generate \(n) + scorer")
                    rankers.append(ranker)
                    recalls.append((n, ranker.recall(cases)))
                }
            }
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
                withJSONObject: [
                    "k": k, "split": split, "users": cases.count, "results": rows,
                    "generator_recall": Dictionary(uniqueKeysWithValues: recalls.map { ("\($0.n)", $0.recall) }),
                ], options: [.sortedKeys])
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
        for (n, recall) in recalls {
            print(String(format: "generator recall@%d (the target among the %d generated items): %.4f", n, n, recall))
        }
    }
}
