import Model

/// A small row-major f32 matrix for training code, where clarity matters more than the last copy.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var data: [Float]

    public init(rows: Int, cols: Int, data: [Float]? = nil) {
        self.rows = rows
        self.cols = cols
        self.data = data ?? [Float](repeating: 0, count: rows * cols)
        precondition(self.data.count == rows * cols, "matrix \(rows)x\(cols) needs \(rows * cols) values")
    }

    /// A matrix whose every value the caller writes before reading (a GEMM output with beta 0):
    /// zero-filling it first was a tenth of a trainer's samples in memset.
    init(uninitializedRows rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        data = [Float](unsafeUninitializedCapacity: rows * cols) { _, count in count = rows * cols }
    }

    public init(_ tensor: Tensor) {
        self.init(rows: tensor.shape.count == 2 ? tensor.shape[0] : 1, cols: tensor.shape.last ?? 1, data: tensor.array)
    }

    public subscript(row: Int, col: Int) -> Float {
        get { data[row * cols + col] }
        set { data[row * cols + col] = newValue }
    }

    public func row(_ index: Int) -> ArraySlice<Float> { data[(index * cols)..<((index + 1) * cols)] }

    /// `alpha · op(a) · op(b)` (+ `into` when accumulating), on OpenBLAS.
    public static func product(
        _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, accumulate into: Matrix? = nil
    ) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition(k == (transposeB ? b.cols : b.rows), "inner dimensions differ")
        var out = into ?? (k > 0 ? Matrix(uninitializedRows: m, cols: n) : Matrix(rows: m, cols: n))
        precondition(out.rows == m && out.cols == n)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                out.data.withUnsafeMutableBufferPointer { pc in
                    Kernels.gemm(
                        m: m, n: n, k: k, a: pa.baseAddress!, lda: a.cols, transposeA: transposeA, b: pb.baseAddress!, ldb: b.cols,
                        transposeB: transposeB, c: pc.baseAddress!, ldc: n, alpha: alpha, beta: into == nil ? 0 : 1)
                }
            }
        }
        return out
    }

    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.cols == rhs.cols)
        var out = lhs
        out.data.accumulate(rhs.data[...])
        return out
    }

    /// Adds `vector` to every row (then ReLU when `relu`), with the serving kernels.
    public func addingRowVector(_ vector: [Float], relu: Bool = false) -> Matrix {
        precondition(vector.count == cols)
        var out = self
        out.data.withUnsafeMutableBufferPointer {
            Kernels.biasActivation(CPU.current.bestPath, rows: rows, cols: cols, $0.baseAddress!, ld: cols, bias: vector, relu: relu)
        }
        return out
    }

    /// Sum over rows: the gradient of a broadcast bias.
    public func columnSums() -> [Float] {
        var sums = [Float](repeating: 0, count: cols)
        sums.withUnsafeMutableBufferPointer { sums in
            data.withUnsafeBufferPointer { data in
                for r in 0..<rows { for c in 0..<cols { sums[c] += data[r * cols + c] } }
            }
        }
        return sums
    }

    /// Columns `start..<start+count` (one attention head).
    public func columns(_ start: Int, _ count: Int) -> Matrix {
        var out = Matrix(rows: rows, cols: count)
        out.data.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { data in
                for r in 0..<rows {
                    (out.baseAddress! + r * count).update(from: data.baseAddress! + r * cols + start, count: count)
                }
            }
        }
        return out
    }

    public mutating func setColumns(_ start: Int, from part: Matrix) {
        let cols = self.cols
        data.withUnsafeMutableBufferPointer { data in
            part.data.withUnsafeBufferPointer { source in
                for r in 0..<rows {
                    (data.baseAddress! + r * cols + start).update(from: source.baseAddress! + r * part.cols, count: part.cols)
                }
            }
        }
    }
}
