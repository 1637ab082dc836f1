import CDNNL
import CKernels
import COpenBLAS
import Glibc

/// The dense math of the model: matrix products on oneDNN (matrix-vector on OpenBLAS, its core
/// type chosen from this CPU's features at start), element-wise work in C kernels compiled per ISA
/// and chosen by `KernelPath`.
///
/// Everything works on raw row-major pointers with explicit leading dimensions, so attention can
/// address one head's columns inside a `rows x d` matrix without copying it out.
public enum Kernels {
    /// Pins OpenBLAS to one thread: a request is one thread's work, and replicas scale across cores.
    public static func useSingleThreadedBLAS() {
        openblas_set_num_threads(1)
    }

    /// Restarts the process with `OPENBLAS_NUM_THREADS=1`, and `OPENBLAS_CORETYPE` set from this
    /// CPU's features, unless both are already set (an operator's own setting wins).
    ///
    /// OpenBLAS starts its worker threads when the library loads, before any Swift code runs, and
    /// those idle threads spin on `sched_yield`, taking a core from the request threads (measured:
    /// about 12% of a benchmark's samples). OpenBLAS 0.3.21 also picks its kernels by a CPU guess
    /// that is wrong on both machines seen here (Prescott/SSE3 on an AVX-512 Xeon, 2.7x slower).
    /// Only the environment at load time changes either.
    public static func reexecWithSingleThreadedBLASIfNeeded() {
        let coreType = CPU.current.openBLASCoreType
        let needsThreads = getenv("OPENBLAS_NUM_THREADS") == nil || getenv("OMP_NUM_THREADS") == nil
        let needsCoreType = coreType != nil && getenv("OPENBLAS_CORETYPE") == nil
        guard needsThreads || needsCoreType else { return }
        // oneDNN's GEMM runs on OpenMP, which also sizes its thread pool at load.
        if getenv("OPENBLAS_NUM_THREADS") == nil { setenv("OPENBLAS_NUM_THREADS", "1", 1) }
        if getenv("OMP_NUM_THREADS") == nil { setenv("OMP_NUM_THREADS", "1", 1) }
        if needsCoreType, let coreType { setenv("OPENBLAS_CORETYPE", coreType, 1) }
        // The executable's own path, not /proc/self/exe: exec'ing that link names the process
        // "exe" in ps, top and perf.
        var path = [CChar](repeating: 0, count: 4_096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        if length > 0 { execv(path, CommandLine.unsafeArgv) } else { execv("/proc/self/exe", CommandLine.unsafeArgv) }
        // exec failed (no /proc?): keep going; useSingleThreadedBLAS still keeps work on one thread.
    }

    /// The GEMM library in use, for benchmark and start-up lines.
    public static var gemmLibrary: String {
        let v = dnnl_version().pointee
        return "oneDNN \(v.major).\(v.minor).\(v.patch)"
    }

    /// `C = alpha * op(A) * op(B) + beta * C` with `op(A)` m x k and `op(B)` k x n, on oneDNN's
    /// JIT GEMM: measured faster than OpenBLAS (any core type), BLIS and libxsmm on this model's
    /// small shapes (scripts/bench-gemm.sh, docs/benchmarks.md). Its errors are only for invalid
    /// arguments, which callers never pass.
    @inline(__always)
    public static func gemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        _ = dnnl_sgemm(
            transposeA ? 84 : 78, transposeB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c,
            Int64(ldc))
    }

    /// `C = A · B` in int32 for int8 `A` (m x k) and `B` (k x n), row-major, on oneDNN's int8 GEMM.
    @inline(__always)
    static func gemmS8(
        m: Int, n: Int, k: Int, a: UnsafePointer<Int8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int, c: UnsafeMutablePointer<Int32>,
        ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        var offset: Int32 = 0
        _ = dnnl_gemm_s8s8s32(78, 78, 70, Int64(m), Int64(n), Int64(k), 1, a, Int64(lda), 0, b, Int64(ldb), 0, 0, c, Int64(ldc), &offset)
    }

    /// `C = A · B` in int32 for u8 `A` (m x k) and int8 `B` (k x n), row-major: the attention
    /// weights' codes times the history's int8 values-times-output.
    @inline(__always)
    static func gemmU8S8(
        m: Int, n: Int, k: Int, a: UnsafePointer<UInt8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int, c: UnsafeMutablePointer<Int32>,
        ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        var offset: Int32 = 0
        _ = dnnl_gemm_u8s8s32(78, 78, 70, Int64(m), Int64(n), Int64(k), 1, a, Int64(lda), 0, b, Int64(ldb), 0, 0, c, Int64(ldc), &offset)
    }

    /// Int8 columns of `x` (`rows x cols`, leading dimension `ld`) into `out` (leading dimension
    /// `ldo`) and their scales.
    static func quantizeColumns(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafePointer<Float>, ld: Int, into out: UnsafeMutablePointer<Int8>, ldo: Int,
        scales: UnsafeMutablePointer<Float>
    ) {
        rs_quantize_columns_s8(path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), out, Int32(ldo), scales)
    }

    /// Floats of scratch `softmaxCodes` needs for `cols` columns.
    static func softmaxCodesScratch(cols: Int) -> Int { Int(rs_softmax_codes_scratch(Int32(cols))) }

    /// Attention weights as u8 codes from int32 scores (`rs_softmax_codes`), with 1 / (sum of a
    /// row's codes) per row; `scratch` holds `softmaxCodesScratch(cols:)` floats.
    static func softmaxCodes(
        _ path: KernelPath, rows: Int, cols: Int, _ scores: UnsafePointer<Int32>, ld: Int, rowScales: UnsafePointer<Float>,
        columnScales: UnsafePointer<Float>, columnBias: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt8>, ldc: Int,
        inverseSums: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        rs_softmax_codes(
            path.rawValue, Int32(rows), Int32(cols), scores, Int32(ld), rowScales, columnScales, columnBias, codes, Int32(ldc),
            inverseSums, scratch)
    }

    /// `softmaxCodes` on arrays, for tests.
    public static func softmaxCodesForTests(
        _ path: KernelPath, rows: Int, cols: Int, _ scores: [Int32], rowScales: [Float], columnScales: [Float], columnBias: [Float],
        into codes: inout [UInt8], inverseSums: inout [Float]
    ) {
        var scratch = [Float](repeating: 0, count: softmaxCodesScratch(cols: cols))
        softmaxCodes(
            path, rows: rows, cols: cols, scores, ld: cols, rowScales: rowScales, columnScales: columnScales, columnBias: columnBias,
            into: &codes, ldc: cols, inverseSums: &inverseSums, scratch: &scratch)
    }

    /// `quantizeColumns` on arrays, for tests.
    public static func quantizeColumnsForTests(
        _ path: KernelPath, rows: Int, cols: Int, _ x: [Float], into codes: inout [Int8], scales: inout [Float]
    ) {
        quantizeColumns(path, rows: rows, cols: cols, x, ld: cols, into: &codes, ldo: cols, scales: &scales)
    }

    /// Int8 rows of `x` (`rows x cols`, leading dimension `ld`) and their scales.
    static func quantizeRows(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafePointer<Float>, ld: Int, into out: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>
    ) {
        rs_quantize_rows_s8(path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), out, scales)
    }

    /// The f32 result of an int8 product: `out (+)= rowScale · columnScale · acc + bias`, then ReLU.
    static func dequantizeRows(
        _ path: KernelPath, rows: Int, cols: Int, _ acc: UnsafePointer<Int32>, rowScales: UnsafePointer<Float>,
        columnScales: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, accumulate: Bool,
        into out: UnsafeMutablePointer<Float>,
        ld: Int
    ) {
        rs_dequantize_rows(
            path.rawValue, Int32(rows), Int32(cols), acc, rowScales, columnScales, bias, relu ? 1 : 0, accumulate ? 1 : 0, out, Int32(ld))
    }

    /// `dequantizeRows` (without accumulate) then `quantizeRows` of its result in one kernel, bit for
    /// bit, with no f32 rows written: an int8 layer feeding another (the FFN's two layers).
    static func requantizeRows(
        _ path: KernelPath, rows: Int, cols: Int, _ acc: UnsafePointer<Int32>, rowScales: UnsafePointer<Float>,
        columnScales: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, into out: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>
    ) {
        rs_requantize_rows(path.rawValue, Int32(rows), Int32(cols), acc, rowScales, columnScales, bias, relu ? 1 : 0, out, scales)
    }

    /// `requantizeRows` on arrays, for tests.
    public static func requantizeRowsForTests(
        _ path: KernelPath, rows: Int, cols: Int, _ products: [Int32], rowScales: [Float], columnScales: [Float], bias: [Float],
        relu: Bool, into codes: inout [Int8], scales: inout [Float]
    ) {
        requantizeRows(
            path, rows: rows, cols: cols, products, rowScales: rowScales, columnScales: columnScales, bias: bias, relu: relu,
            into: &codes, scales: &scales)
    }

    /// `quantizeRows` on arrays, for tests.
    public static func quantizeRowsForTests(
        _ path: KernelPath, rows: Int, cols: Int, _ x: [Float], into codes: inout [Int8], scales: inout [Float]
    ) {
        quantizeRows(path, rows: rows, cols: cols, x, ld: cols, into: &codes, scales: &scales)
    }

    /// `dequantizeRows` on arrays, for tests.
    public static func dequantizeRowsForTests(
        _ path: KernelPath, rows: Int, cols: Int, _ products: [Int32], rowScales: [Float], columnScales: [Float], bias: [Float],
        relu: Bool, accumulate: Bool, into out: inout [Float]
    ) {
        dequantizeRows(
            path, rows: rows, cols: cols, products, rowScales: rowScales, columnScales: columnScales, bias: bias, relu: relu,
            accumulate: accumulate, into: &out, ld: cols)
    }

    /// `y = A x + beta y` for row-major A (rows x cols).
    public static func gemv(
        rows: Int, cols: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, beta: Float = 0
    ) {
        guard rows > 0 else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(cols), 1, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// `x[r] += bias`, then ReLU when `relu`, for `rows` rows (a GEMM's epilogue).
    public static func biasActivation(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>, ld: Int, bias: UnsafePointer<Float>,
        relu: Bool = false
    ) {
        rs_bias_activation(path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), bias, relu ? 1 : 0)
    }

    /// Row-wise LayerNorm (eps 1e-5), `out` may alias `x`.
    public static func layerNorm(
        _ path: KernelPath, rows: Int, dim: Int, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        rs_layer_norm(path.rawValue, Int32(rows), Int32(dim), x, weight, bias, out, 1e-5)
    }

    /// `layerNorm` then `quantizeRows` of its rows, bit for bit, with no f32 rows written.
    static func layerNormQuantized(
        _ path: KernelPath, rows: Int, dim: Int, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>
    ) {
        rs_layer_norm_quantize(path.rawValue, Int32(rows), Int32(dim), x, weight, bias, 1e-5, out, scales)
    }

    /// `headFeatures` then `quantizeRows` of its rows, bit for bit, with no feature rows written.
    static func headFeaturesQuantized(
        _ path: KernelPath, rows: Int, dim: Int, z: UnsafePointer<Float>, e: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>
    ) {
        rs_head_features_quantize(path.rawValue, Int32(rows), Int32(dim), z, e, out, scales)
    }

    /// `headFeaturesQuantized` on arrays, for tests.
    public static func headFeaturesQuantizedForTests(
        _ path: KernelPath, rows: Int, dim: Int, z: [Float], e: [Float], into codes: inout [Int8], scales: inout [Float]
    ) {
        headFeaturesQuantized(path, rows: rows, dim: dim, z: z, e: e, into: &codes, scales: &scales)
    }

    /// `layerNormQuantized` on arrays, for tests.
    public static func layerNormQuantizedForTests(
        _ path: KernelPath, rows: Int, dim: Int, _ x: [Float], weight: [Float], bias: [Float], into codes: inout [Int8],
        scales: inout [Float]
    ) {
        layerNormQuantized(path, rows: rows, dim: dim, x, weight: weight, bias: bias, into: &codes, scales: &scales)
    }

    /// Softmax of each row over its visible columns; later columns become 0 (the mask).
    public static func maskedSoftmaxRows(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>, ld: Int, visibility: Visibility
    ) {
        rs_softmax_rows(
            path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), Int32(visibility.first), Int32(visibility.step),
            Int32(clamping: visibility.limit), nil)
    }

    /// The softmax's exponentials without the division: writes `1 / sum` per row into
    /// `inverseSums` so the caller scales P·V's `headDim` columns instead of P's `cols`.
    public static func unnormalizedSoftmaxRows(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>, ld: Int, visibility: Visibility,
        inverseSums: UnsafeMutablePointer<Float>
    ) {
        rs_softmax_rows(
            path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), Int32(visibility.first), Int32(visibility.step),
            Int32(clamping: visibility.limit), inverseSums)
    }

    /// Row `r` of `out` becomes `[z[r], e[r], z[r] * e[r]]`: the scoring head's input.
    public static func headFeatures(
        _ path: KernelPath, rows: Int, dim: Int, z: UnsafePointer<Float>, e: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        rs_head_features(path.rawValue, Int32(rows), Int32(dim), z, e, out)
    }

    /// `x[r][c] *= scales[r]` for the first `cols` columns of each row.
    public static func scaleRows(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>, ld: Int, scales: UnsafePointer<Float>
    ) {
        rs_scale_rows(path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), scales)
    }

    /// For each row, the first column minimizing `offset[c] + x[r][c]`, and that minimum
    /// (k-means' nearest centroid from a GEMM of dot products).
    public static func argminRows(
        _ path: KernelPath, rows: Int, cols: Int, _ x: UnsafePointer<Float>, ld: Int, offset: UnsafePointer<Float>,
        index: UnsafeMutablePointer<Int32>, value: UnsafeMutablePointer<Float>
    ) {
        rs_argmin_rows(path.rawValue, Int32(rows), Int32(cols), x, Int32(ld), offset, index, value)
    }

    /// `x = max(x, 0)` over `count` values.
    public static func relu(_ path: KernelPath, count: Int, _ x: UnsafeMutablePointer<Float>) {
        rs_relu(path.rawValue, count, x)
    }

    /// `dy = x > 0 ? dy : 0` over `count` values, `x` being the ReLU's input (training).
    public static func reluBackward(_ path: KernelPath, count: Int, input x: UnsafePointer<Float>, _ dy: UnsafeMutablePointer<Float>) {
        rs_relu_backward(path.rawValue, count, x, dy)
    }

    /// `out[i] = exp(x[i])` with the kernels' exp (for tests of its accuracy).
    public static func exp(_ path: KernelPath, _ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        out.withUnsafeMutableBufferPointer { rs_exp(path.rawValue, Int32(x.count), x, $0.baseAddress!) }
        return out
    }
}

/// Which key/value rows each query row sees: row `r` sees the first `min(first + r * step, limit)`.
public struct Visibility: Sendable, Equatable {
    public var first: Int
    public var step: Int
    public var limit = Int.max

    public init(first: Int, step: Int, limit: Int = .max) {
        (self.first, self.step, self.limit) = (first, step, limit)
    }

    /// History self-attention: row `r` sees rows `0...r`.
    public static let causal = Visibility(first: 1, step: 1)
    /// Candidates: every row sees all `n` history rows.
    public static func all(_ n: Int) -> Visibility { Visibility(first: n, step: 0) }
    /// The naive path's `[history, candidate]`: causal over the `n` history rows; the candidate
    /// (row `n`) sees the history but not itself.
    public static func historyThenCandidate(_ n: Int) -> Visibility { Visibility(first: 1, step: 1, limit: n) }

    public func count(row: Int) -> Int { min(first + row * step, limit) }
}
