import Ranking

/// The whole recommendation in one process: item table, amortized model, top-k.
///
/// The reference the services are checked against, and the in-process baseline benchmarks compare
/// the gateway with.
public struct LocalRecommender: Sendable {
    public let model: SequenceModel
    public let itemTable: Tensor

    public init(model: SequenceModel, itemTable: Tensor) {
        precondition(itemTable.shape == [model.config.itemCount, model.config.dim], "item table does not match the model")
        self.model = model
        self.itemTable = itemTable
    }

    public init(file: ModelFile) {
        guard let table = file.itemTable else { preconditionFailure("LocalRecommender needs the item table") }
        self.init(model: SequenceModel(file: file), itemTable: table)
    }

    /// Copies rows for `ids` (all must be valid) into one contiguous `count x d` block.
    public func gather(_ ids: [Int64]) -> [Float] {
        let d = model.config.dim
        var rows = [Float](repeating: 0, count: ids.count * d)
        rows.withUnsafeMutableBufferPointer { out in
            for (i, id) in ids.enumerated() {
                (out.baseAddress! + i * d).update(from: itemTable.row(Int(id)), count: d)
            }
        }
        return rows
    }

    public func encode(history: [Int64], workspace: Workspace) -> HistoryKV {
        let recent = Array(history.suffix(model.config.maxHistory))
        return gather(recent).withUnsafeBufferPointer {
            model.encodeHistory(itemRows: $0.baseAddress!, length: recent.count, workspace: workspace)
        }
    }

    public func logits(history: HistoryKV, candidates: [Int64], workspace: Workspace) -> [Float] {
        var logits = [Float](repeating: 0, count: candidates.count)
        let rows = gather(candidates)
        rows.withUnsafeBufferPointer { rows in
            logits.withUnsafeMutableBufferPointer { out in
                model.scoreCandidates(
                    history: history, candidateRows: rows.baseAddress!, count: candidates.count, logits: out.baseAddress!,
                    workspace: workspace)
            }
        }
        return logits
    }

    /// Encodes the history once, scores every candidate, returns the best `k`.
    public func recommend(history: [Int64], candidates: [Int64], k: Int, workspace: Workspace) -> [ScoredItem] {
        let kv = encode(history: history, workspace: workspace)
        let scores = logits(history: kv, candidates: candidates, workspace: workspace)
        return TopK.select(count: candidates.count, k: k, id: { candidates[$0] }, score: { scores[$0] })
    }

    /// The naive reference for the same request: the whole transformer once per candidate.
    public func naiveLogits(history: [Int64], candidates: [Int64], workspace: Workspace) -> [Float] {
        let recent = Array(history.suffix(model.config.maxHistory))
        let historyRows = gather(recent)
        return historyRows.withUnsafeBufferPointer { historyRows in
            candidates.map { candidate in
                model.naiveScore(
                    historyRows: historyRows.baseAddress!, length: recent.count, candidateRow: itemTable.row(Int(candidate)),
                    workspace: workspace)
            }
        }
    }
}
