import COpenBLAS
import Glibc

/// The dense math of the model: matrix products on OpenBLAS, the rest as vectorized Swift loops.
///
/// Everything works on raw row-major pointers with explicit leading dimensions, so attention can
/// address one head's columns inside a `rows x d` matrix without copying it out.
public enum Kernels {
    /// Pins OpenBLAS to one thread: a request is one thread's work, and replicas scale across cores.
    public static func useSingleThreadedBLAS() {
        openblas_set_num_threads(1)
    }

    /// Restarts the process with `OPENBLAS_NUM_THREADS=1` unless it is already set.
    ///
    /// OpenBLAS starts its worker threads when the library loads, before any Swift code runs, and
    /// those idle threads spin on `sched_yield`, taking a core from the request threads (measured:
    /// about 12% of a benchmark's samples). Only the environment at load time prevents them.
    public static func reexecWithSingleThreadedBLASIfNeeded() {
        guard getenv("OPENBLAS_NUM_THREADS") == nil else { return }
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed (no /proc?): keep going; useSingleThreadedBLAS still keeps work on one thread.
    }

    /// `C = alpha * op(A) * op(B) + beta * C` with `op(A)` m x k and `op(B)` k x n.
    @inline(__always)
    public static func gemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = A x + beta y` for row-major A (rows x cols).
    public static func gemv(
        rows: Int, cols: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, beta: Float = 0
    ) {
        guard rows > 0 else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(cols), 1, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Adds `bias` (length cols) to every row.
    public static func addBias(rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>, ld: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * ld
            for c in 0..<cols { row[c] += bias[c] }
        }
    }

    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + 8 <= count {
            let value = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: select(value .> 0, value, SIMD8()), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            if x[i] < 0 { x[i] = 0 }
            i += 1
        }
    }

    /// Lane-wise `mask ? a : b` with bit operations (the generic SIMD select is not vectorized).
    @inline(__always)
    static func select(_ mask: SIMDMask<SIMD8<Int32>>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(mask, to: SIMD8<Int32>.self)
        let chosen = (unsafeBitCast(a, to: SIMD8<Int32>.self) & bits) | (unsafeBitCast(b, to: SIMD8<Int32>.self) & ~bits)
        return unsafeBitCast(chosen, to: SIMD8<Float>.self)
    }

    /// Largest of the first `count` values (-infinity when count is 0).
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i + 8 <= count {
            let value = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            lanes = select(value .> lanes, value, lanes)
            i += 8
        }
        var result = -Float.infinity
        for lane in 0..<8 where lanes[lane] > result { result = lanes[lane] }
        while i < count {
            if x[i] > result { result = x[i] }
            i += 1
        }
        return result
    }

    /// Row-wise LayerNorm (eps 1e-5), `out` may alias `x`.
    public static func layerNorm(
        rows: Int, dim: Int, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>
    ) {
        let inverseDim = 1 / Float(dim)
        for r in 0..<rows {
            let input = x + r * dim
            let output = out + r * dim
            let mean = sum(input, count: dim) * inverseDim
            var variance: Float = 0
            for i in 0..<dim {
                let centered = input[i] - mean
                variance += centered * centered
            }
            let scale = 1 / (variance * inverseDim + 1e-5).squareRoot()
            for i in 0..<dim { output[i] = (input[i] - mean) * scale * weight[i] + bias[i] }
        }
    }

    /// Sum with eight independent lanes (a scalar loop cannot vectorize a float reduction).
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 8 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var total = lanes.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// Softmax of each row over its first `visible(row)` columns; later columns become 0 (the mask).
    public static func maskedSoftmaxRows(
        rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>, ld: Int, visible: (Int) -> Int
    ) {
        for r in 0..<rows {
            let row = x + r * ld
            let count = min(visible(r), cols)
            let total = expInPlace(row, count: count, subtracting: maximum(row, count: count))
            let inverse = 1 / total
            for c in 0..<count { row[c] *= inverse }
            for c in count..<cols { row[c] = 0 }
        }
    }

    /// `x[i] = exp(x[i] - shift)` for the first `count` values; returns their sum.
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, subtracting shift: Float) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        let raw = UnsafeMutableRawPointer(x)
        while i + 8 <= count {
            let value = exp8(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - shift)
            raw.storeBytes(of: value, toByteOffset: i * 4, as: SIMD8<Float>.self)
            lanes += value
            i += 8
        }
        if i < count {
            // The tail goes through the same vector code, padded, so every element is computed alike.
            var tail = SIMD8<Float>(repeating: -Float.infinity)
            for j in 0..<(count - i) { tail[j] = x[i + j] - shift }
            let value = exp8(tail)
            for j in 0..<(count - i) {
                x[i + j] = value[j]
                lanes[j] += value[j]
            }
        }
        return lanes.sum()
    }

    /// exp for eight floats at once (Cephes' expf: range reduction by ln 2, degree-6 polynomial),
    /// within about 2 ulp for inputs in [-87, 88]; inputs below -87 (and -inf) give 0. Callers pass
    /// values at most 88 (softmax passes values at most 0).
    ///
    /// Written with plain vector arithmetic, masks and bit operations only: the generic SIMD
    /// conversions and `replace(with:where:)` compile to per-lane loops and cost 3-5x here.
    @inline(__always)
    public static func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        // Lanes that would underflow are zeroed on the way in (exp(0) keeps the trick valid) and out.
        let keep = unsafeBitCast(input .>= SIMD8<Float>(repeating: -87.0), to: SIMD8<Int32>.self)
        let x = unsafeBitCast(unsafeBitCast(input, to: SIMD8<Int32>.self) & keep, to: SIMD8<Float>.self)
        // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_40e-4
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_351_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        let result = p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
        return unsafeBitCast(unsafeBitCast(result, to: SIMD8<Int32>.self) & keep, to: SIMD8<Float>.self)
    }
}
