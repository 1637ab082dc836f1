import COpenBLAS
import Foundation

/// What a benchmark ran on, printed beside every result (this machine is shared and noisy).
enum MachineInfo {
    static func describe() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let core = String(cString: openblas_get_corename())
        let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS kernel \(core)\(coreType)"
    }
}

/// Median and percentiles of a small sample (in-process timings), in microseconds.
struct SampleSummary {
    let sorted: [Double]

    init(_ samples: [Double]) { sorted = samples.sorted() }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    var median: Double { percentile(50) }
}

enum Stopwatch {
    /// Runs `body` and returns its wall time in microseconds.
    static func micros(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000
    }
}
