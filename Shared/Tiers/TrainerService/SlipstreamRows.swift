import Training

/// Slipstream's trainer half: the rows currently classified stale, frozen at the values pulled
/// when they were classified. Stale rows are not pulled again and get no pushes; inputs whose
/// every positive row (history and target) is stale are skipped.
struct SlipstreamRows {
    let settings: SlipstreamSettings
    private(set) var frozen: [Int64: [Float]] = [:]
    private var stepsSinceQuery = 0
    /// False during the warm-up epochs: no queries, nothing frozen.
    var active = false

    init(settings: SlipstreamSettings) { self.settings = settings }

    /// Counts a step; true when this step's push should carry a stale query.
    mutating func queryDue() -> Bool {
        guard active else { return false }
        stepsSinceQuery += 1
        guard stepsSinceQuery >= settings.periodSteps else { return false }
        stepsSinceQuery = 0
        return true
    }

    mutating func freeze(_ rows: [Int64: [Float]]) { frozen = rows }

    /// The periodic full refresh: every row is fresh again.
    mutating func thaw() { frozen = [:] }

    func isFrozen(_ id: Int64) -> Bool { frozen[id] != nil }

    /// True when the input touches only stale rows through its real interactions.
    func skips(_ sample: TrainingSample) -> Bool {
        guard !frozen.isEmpty, let target = sample.labels.firstIndex(of: 1) else { return false }
        return isFrozen(sample.candidates[target]) && sample.history.allSatisfy(isFrozen)
    }
}
