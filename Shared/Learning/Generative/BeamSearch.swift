import Model

/// Beam search over semantic IDs, constrained by the trie: every step keeps the `width` best
/// prefixes by summed log-probability, so what comes out are real items, best first.
extension Generator {
    public struct Generated: Sendable, Equatable {
        public var item: Int
        public var logProbability: Float
    }

    /// Up to `width` distinct items with their log-probabilities, highest first.
    public func beamSearch(history: HistoryKV, width: Int) -> [Generated] {
        precondition(width >= 1)
        var batch = start(sequences: 1)
        let k = ids.codesPerLevel
        for _ in 0..<ids.levels {
            let logProbabilities = nextCodeLogProbabilities(&batch, history: history)
            // Every (sequence, allowed code) extension, then the `width` best: ties go to the
            // earlier sequence and the lower code, so a search is deterministic.
            var options: [(score: Float, parent: Int, code: Int)] = []
            for parent in 0..<batch.count {
                for code in ids.allowed(level: batch.step, prefix: batch.prefixKeys[parent]) {
                    options.append((batch.logProbabilities[parent] + logProbabilities[parent * k + Int(code)], parent, Int(code)))
                }
            }
            let kept = Self.best(options, count: width)
            advance(
                &batch, parents: kept.map(\.parent), codes: kept.map { UInt16($0.code) },
                logProbabilities: kept.map { logProbabilities[$0.parent * k + $0.code] })
        }
        return (0..<batch.count).map { Generated(item: ids.item(key: batch.prefixKeys[$0])!, logProbability: batch.logProbabilities[$0]) }
    }

    static func best(_ options: [(score: Float, parent: Int, code: Int)], count: Int) -> [(score: Float, parent: Int, code: Int)] {
        let ordered = options.sorted { a, b in
            a.score != b.score ? a.score > b.score : a.parent != b.parent ? a.parent < b.parent : a.code < b.code
        }
        return Array(ordered.prefix(count))
    }

    /// Summed log-probability of each given full code (teacher forcing: every sequence decoded
    /// step by step on its own codes, all in one batch).
    public func logProbabilities(of codes: [[UInt16]], history: HistoryKV) -> [Float] {
        var batch = start(sequences: codes.count)
        let k = ids.codesPerLevel
        for level in 0..<ids.levels {
            let next = nextCodeLogProbabilities(&batch, history: history)
            let chosen = codes.map { $0[level] }
            advance(
                &batch, parents: Array(0..<codes.count), codes: chosen,
                logProbabilities: chosen.enumerated().map { next[$0.offset * k + Int($0.element)] })
        }
        return batch.logProbabilities
    }
}
