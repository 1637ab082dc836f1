import COpenBLAS
import Foundation
import Model

/// What a benchmark ran on, printed beside every result (this machine is shared and noisy): the
/// CPU and its features, the element-wise kernel path, and the OpenBLAS kernel in use.
enum MachineInfo {
    static func describe(path: KernelPath = CPU.current.bestPath) -> String {
        let core = String(cString: openblas_get_corename())
        let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        return
            "\(CPU.current), \(ProcessInfo.processInfo.activeProcessorCount) cores; kernels \(path), GEMM \(Kernels.gemmLibrary), OpenBLAS \(core)\(coreType)"
    }

    /// One core's SGEMM rate on a large square product (best of a few runs), the peak that
    /// achieved GFLOP/s are compared with.
    static func sgemmPeakGFLOPS(size: Int = 1024, runs: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: size * size)
        var c = [Float](repeating: 0, count: size * size)
        var best = Double.infinity
        for _ in 0..<runs {
            let seconds = c.withUnsafeMutableBufferPointer { out in
                Stopwatch.micros {
                    Kernels.gemm(m: size, n: size, k: size, a: a, lda: size, b: a, ldb: size, c: out.baseAddress!, ldc: size)
                } / 1e6
            }
            best = min(best, seconds)
        }
        return 2 * pow(Double(size), 3) / best / 1e9
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
