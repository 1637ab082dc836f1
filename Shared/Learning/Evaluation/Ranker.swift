import Dataset
import Model

/// Scores every item for a history; what evaluation ranks.
public protocol Ranker {
    var name: String { get }
    /// One score per item id `0..<itemCount`; higher ranks first.
    func scores(history: [Int64]) -> [Float]
}

/// The served model, run in-process: history encoded once, every item scored against it.
public final class ModelRanker: Ranker {
    public let name: String
    let recommender: LocalRecommender
    let allItems: [Int64]
    let workspace = Workspace()

    public init(file: ModelFile, name: String = "model", dense: DenseMode = .f32) {
        recommender = LocalRecommender(model: SequenceModel(file: file, dense: dense), itemTable: file.itemTable!)
        allItems = Array(0..<Int64(file.config.itemCount))
        self.name = name
    }

    public func scores(history: [Int64]) -> [Float] {
        let kv = recommender.encode(history: history, workspace: workspace)
        return recommender.logits(history: kv, candidates: allItems, workspace: workspace)
    }
}

/// Most popular first: interaction counts in the training data; the same list for everyone.
public struct PopularityRanker: Ranker {
    public let name = "most-popular"
    let counts: [Float]

    public init(split: LeaveOneOutSplit) {
        var counts = [Float](repeating: 0, count: split.dataset.itemCount)
        for sequence in split.training {
            for item in sequence { counts[Int(item)] += 1 }
        }
        self.counts = counts
    }

    public func scores(history: [Int64]) -> [Float] { counts }
}
