extension SequenceModel {
    /// The reference path: runs the whole transformer over `[h1 ... hn, c]` with the mask (history
    /// causal, the candidate sees the history but not itself) and returns the candidate's logit.
    ///
    /// It repeats the history's work for every candidate; it exists to prove the amortized path exact
    /// and to measure what amortization saves.
    public func naiveScore(
        historyRows: UnsafePointer<Float>, length n: Int, candidateRow: UnsafePointer<Float>, workspace: Workspace
    ) -> Float {
        precondition(n >= 1 && n <= config.maxHistory, "history length \(n) outside 1...\(config.maxHistory)")
        let d = config.dim
        let rows = n + 1
        let x = workspace.buffer(.tokens, count: rows * d)
        embedHistory(historyRows, length: n, into: x)
        embedCandidates(candidateRow, count: 1, into: x + n * d)
        let keys = workspace.buffer(.keys, count: rows * d)
        let values = workspace.buffer(.values, count: rows * d)
        for layer in 0..<config.layers {
            if dense == .int8 {
                // The candidate attends through int8 tables of this pass's own keys and values, the
                // same computation as the amortized path's (which is what the comparison proves).
                block(layer, x: x, rows: n, keyValues: .project(keys: keys, values: values), visibility: .causal, workspace: workspace)
                let table = int8Attention(layer: layer, keys: keys, values: values, rows: n, workspace: workspace)
                block(
                    layer, x: x + n * d, rows: 1, keyValues: .given(keys: keys, values: values, rows: n, int8: table),
                    visibility: .all(n), workspace: workspace)
            } else {
                block(
                    layer, x: x, rows: rows, keyValues: .project(keys: keys, values: values),
                    visibility: .historyThenCandidate(n), workspace: workspace)
            }
        }
        var logit: Float = 0
        head(x: x + n * d, itemRows: candidateRow, rows: 1, logits: &logit, workspace: workspace)
        return logit
    }
}
