extension SequenceModel {
    /// Runs the history once (causal self-attention) and keeps every layer's keys and values.
    ///
    /// `itemRows` holds `length` item rows (oldest first, at most `maxHistory`). The last block
    /// only projects its keys and values: candidates need nothing else of the history.
    public func encodeHistory(itemRows: UnsafePointer<Float>, length: Int, workspace: Workspace) -> HistoryKV {
        precondition(length >= 1 && length <= config.maxHistory, "history length \(length) outside 1...\(config.maxHistory)")
        let d = config.dim
        let perLayer = length * d
        let x = workspace.buffer(.tokens, count: perLayer)
        embedHistory(itemRows, length: length, into: x)
        var values = [Float]()
        let keys = uninitialized(Float.self, count: config.layers * perLayer) { keyBuffer in
            values = uninitialized(Float.self, count: config.layers * perLayer) { valueBuffer in
                for layer in 0..<config.layers {
                    let (keys, values) = (keyBuffer + layer * perLayer, valueBuffer + layer * perLayer)
                    if layer == config.layers - 1 {
                        keyValuesOnly(layer, x: x, rows: length, keys: keys, values: values, workspace: workspace)
                    } else {
                        let kv = KeyValues.project(keys: keys, values: values)
                        block(layer, x: x, rows: length, keyValues: kv, visibility: .causal, workspace: workspace)
                    }
                }
            }
        }
        return HistoryKV(layers: config.layers, length: length, dim: d, keys: keys, values: values)
    }

    /// A history ready for candidates: with int8 dense layers, each layer's int8 attention tables,
    /// built once here for every micro-batch of the request.
    public func prepare(_ history: HistoryKV, workspace: Workspace) -> PreparedHistory {
        precondition(history.layers == config.layers && history.dim == config.dim, "history KV from another model shape")
        guard dense == .int8 else { return PreparedHistory(kv: history, int8: []) }
        let perLayer = history.length * config.dim
        let tables = history.keys.withUnsafeBufferPointer { keys in
            history.values.withUnsafeBufferPointer { values in
                (0..<config.layers).map {
                    int8Attention(
                        layer: $0, keys: keys.baseAddress! + $0 * perLayer, values: values.baseAddress! + $0 * perLayer,
                        rows: history.length, workspace: workspace)
                }
            }
        }
        return PreparedHistory(kv: history, int8: tables)
    }

    /// Scores `count` candidates (their item rows, `count x d`) against an encoded history, writing
    /// one logit each. Candidates never see each other, so micro-batching changes nothing but speed.
    public func scoreCandidates(
        history: HistoryKV, candidateRows: UnsafePointer<Float>, count: Int, logits: UnsafeMutablePointer<Float>,
        workspace: Workspace
    ) {
        scoreCandidates(
            prepared: prepare(history, workspace: workspace), candidateRows: candidateRows, count: count, logits: logits,
            workspace: workspace)
    }

    /// `scoreCandidates` for a history already prepared (a caller scoring one request in several
    /// calls prepares it once).
    public func scoreCandidates(
        prepared: PreparedHistory, candidateRows: UnsafePointer<Float>, count: Int, logits: UnsafeMutablePointer<Float>,
        workspace: Workspace
    ) {
        let history = prepared.kv
        precondition(history.layers == config.layers && history.dim == config.dim, "history KV from another model shape")
        let d = config.dim
        let n = history.length
        let perLayer = n * d
        history.keys.withUnsafeBufferPointer { keys in
            history.values.withUnsafeBufferPointer { values in
                var start = 0
                while start < count {
                    let rows = min(microBatch, count - start)
                    let x = workspace.buffer(.tokens, count: rows * d)
                    let itemRows = candidateRows + start * d
                    embedCandidates(itemRows, count: rows, into: x)
                    for layer in 0..<config.layers {
                        let kv = KeyValues.given(
                            keys: keys.baseAddress! + layer * perLayer, values: values.baseAddress! + layer * perLayer, rows: n,
                            int8: prepared.int8.isEmpty ? nil : prepared.int8[layer])
                        block(layer, x: x, rows: rows, keyValues: kv, visibility: .all(n), workspace: workspace)
                    }
                    head(x: x, itemRows: itemRows, rows: rows, logits: logits + start, workspace: workspace)
                    start += rows
                }
            }
        }
    }
}

/// An encoded history and what candidates need of it beyond its keys and values
/// (`SequenceModel.prepare`).
public struct PreparedHistory: Sendable {
    public let kv: HistoryKV
    /// Per layer with int8 dense layers; empty with f32.
    let int8: [Int8AttentionLayer]
}
