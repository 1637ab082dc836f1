import Foundation

/// The epoch loop every trainer runs: train an epoch; on worker 0 validate, export when the score
/// is the best so far, and stop after `patience` epochs without a better one. Other workers train
/// every epoch (worker 0 decides what is kept).
struct EpochLoop {
    let epochs: Int
    let patience: Int
    let isLeader: Bool

    /// `train` returns the epoch's report without validation; `validate` fills the report's
    /// validation fields and returns the score to maximize.
    func run(
        train: (_ epoch: Int) throws -> EpochReport, validate: (inout EpochReport) throws -> Double, export: () throws -> Void,
        progress: (EpochReport) -> Void
    ) throws -> [EpochReport] {
        var reports: [EpochReport] = []
        var best = -Double.infinity
        var sinceBest = 0
        for epoch in 1...epochs {
            let started = Date()
            var report = try train(epoch)
            if isLeader {
                let score = try validate(&report)
                report.seconds = Date().timeIntervalSince(started)
                if score > best {
                    (best, sinceBest) = (score, 0)
                    try export()
                } else {
                    sinceBest += 1
                }
            }
            reports.append(report)
            progress(report)
            if sinceBest >= patience { break }
        }
        return reports
    }
}
