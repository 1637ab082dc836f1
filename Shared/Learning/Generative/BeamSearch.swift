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
            var scores: [Float] = []
            var options: [Int] = []  // parent * K + code
            for parent in 0..<batch.count {
                for code in ids.allowed(level: batch.step, prefix: batch.prefixKeys[parent]) {
                    scores.append(batch.logProbabilities[parent] + logProbabilities[parent * k + Int(code)])
                    options.append(parent * k + Int(code))
                }
            }
            let kept = Self.best(scores: scores, options: options, count: width)
            advance(
                &batch, parents: kept.map { $0 / k }, codes: kept.map { UInt16($0 % k) },
                logProbabilities: kept.map { logProbabilities[$0] })
        }
        return (0..<batch.count).map { Generated(item: ids.item(key: batch.prefixKeys[$0])!, logProbability: batch.logProbabilities[$0]) }
    }

    /// The `count` options with the highest scores, best first (ties: lower option first): a
    /// selection of the threshold score in linear time, then a sort of just the kept ones.
    public static func best(scores: [Float], options: [Int], count: Int) -> [Int] {
        guard scores.count > count else {
            return scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : options[$0] < options[$1] }.map {
                options[$0]
            }
        }
        var values = scores
        let threshold = Self.nthLargest(&values, count - 1)
        var kept = scores.indices.filter { scores[$0] > threshold }
        for index in scores.indices where scores[index] == threshold && kept.count < count { kept.append(index) }
        kept.sort { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : options[$0] < options[$1] }
        return kept.map { options[$0] }
    }

    /// The value that would be at `rank` (0 = largest) if `values` were sorted descending
    /// (Hoare's selection; reorders `values`).
    static func nthLargest(_ values: inout [Float], _ rank: Int) -> Float {
        values.withUnsafeMutableBufferPointer { v in
            var (low, high) = (0, v.count - 1)
            while low < high {
                let pivot = v[(low + high) / 2]
                var (i, j) = (low, high)
                while i <= j {
                    while v[i] > pivot { i += 1 }
                    while v[j] < pivot { j -= 1 }
                    if i <= j {
                        v.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if rank <= j { high = j } else if rank >= i { low = i } else { return v[rank] }
            }
            return v[rank]
        }
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
