import Foundation

/// The epoch loop every trainer runs: train an epoch; on worker 0 validate, export when the score
/// is the best so far, and stop after `patience` epochs without a better one. Other workers train
/// every epoch (worker 0 decides what is kept).
public struct EpochLoop: Sendable {
    let epochs: Int
    let patience: Int
    let isLeader: Bool

    public init(epochs: Int, patience: Int, isLeader: Bool) {
        (self.epochs, self.patience, self.isLeader) = (epochs, patience, isLeader)
    }

    /// `train` returns the epoch's report without validation; `validate` fills the report's
    /// validation fields and returns the score to maximize.
    public func run(
        train: (_ epoch: Int) throws -> EpochReport, validate: (inout EpochReport) throws -> Double, export: () throws -> Void,
        progress: (EpochReport) -> Void
    ) throws -> [EpochReport] {
        var reports: [EpochReport] = []
        var best = BestEpoch(patience: patience)
        for epoch in 1...epochs {
            let started = Date()
            var report = try train(epoch)
            if isLeader {
                let score = try validate(&report)
                report.seconds = Date().timeIntervalSince(started)
                if best.record(score) { try export() }
            }
            reports.append(report)
            progress(report)
            if best.exhausted { break }
        }
        return reports
    }

    /// The same loop with worker 0's validation beside its next epoch: `take` captures what is
    /// validated on the loop's thread (it may use the trainer's sockets), `score` computes on a
    /// thread of its own while the next epoch trains, and the decision (export, stop) follows when
    /// the score is in, one epoch later. On two cores worker 0 otherwise leaves a core idle for a
    /// whole validation every epoch and, at the end, for the epochs the other trainers finished
    /// early. When patience runs out, the epoch trained meanwhile is reported without validation.
    public func runOverlapped<Snapshot: Sendable>(
        train: (_ epoch: Int) throws -> EpochReport, take: (_ epoch: Int) throws -> Snapshot,
        score: @escaping @Sendable (Snapshot, inout EpochReport) -> Double, export: (Snapshot) throws -> Void,
        progress: (EpochReport) -> Void
    ) throws -> [EpochReport] {
        guard isLeader else { return try run(train: train, validate: { _ in 0 }, export: {}, progress: progress) }
        var reports: [EpochReport] = []
        var best = BestEpoch(patience: patience)
        var pending: (job: ValidationJob, snapshot: Snapshot)?
        /// Waits for the pending validation, reports it and exports when best; true: stop.
        func settle() throws -> Bool {
            guard let (job, snapshot) = pending else { return false }
            pending = nil
            let (report, score) = job.wait()
            if best.record(score) { try export(snapshot) }
            reports.append(report)
            progress(report)
            return best.exhausted
        }
        for epoch in 1...epochs {
            let started = Date()
            var report = try train(epoch)
            if try settle() {
                reports.append(report)
                progress(report)
                return reports
            }
            let snapshot = try take(epoch)
            report.seconds = Date().timeIntervalSince(started)
            pending = (ValidationJob(report: report) { score(snapshot, &$0) }, snapshot)
        }
        _ = try settle()
        return reports
    }
}

/// Early stopping's state: the best score so far and the epochs since it.
struct BestEpoch {
    let patience: Int
    private var best = -Double.infinity
    private var sinceBest = 0

    init(patience: Int) { self.patience = patience }

    /// Records one validation; true when it is the best so far.
    mutating func record(_ score: Double) -> Bool {
        guard score > best else {
            sinceBest += 1
            return false
        }
        (best, sinceBest) = (score, 0)
        return true
    }

    var exhausted: Bool { sinceBest >= patience }
}

/// One validation running on a thread of its own.
private final class ValidationJob: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written by the job's thread before `done` is signalled, read after the wait.
    private var report: EpochReport
    private var score = 0.0

    init(report: EpochReport, _ work: @escaping @Sendable (inout EpochReport) -> Double) {
        self.report = report
        Thread { [self] in
            score = work(&self.report)
            done.signal()
        }.start()
    }

    func wait() -> (EpochReport, Double) {
        done.wait()
        return (report, score)
    }
}
