/// Quotient-remainder composition (Shi et al., "Compositional Embeddings Using Complementary
/// Partitions", KDD 2020; the lightweight-embeddings benchmark's default QR): item i's row is
/// `quotient[i / D] ⊙ remainder[i % D]`, element-wise, so ceil(N / D) + D stored rows stand for N.
///
/// Trained as such (the parameter server applies the chain rule to the component rows) or fitted
/// after training (`fit`: the best rank-1 grid per dimension, exact for a table trained as QR).
/// The component tensors are mutated in place only by the parameter server's loop thread, the
/// thread that also serves lookups (as f32 rows are).
public final class QuotientRemainder: @unchecked Sendable {
    public let divider: Int
    public let items: Int
    public let dim: Int
    /// `[ceil(items / divider), dim]`.
    public let quotient: Tensor
    /// `[divider, dim]`.
    public let remainder: Tensor
    /// The largest absolute error of the fit against the table it was fitted to (0 when trained
    /// as QR from the start): the format's error bound, stored with the file.
    public let maxError: Float
    /// A shard's subset: local row → item id (nil: row = item id).
    let itemIDs: [Int]?

    public init(divider: Int, items: Int, quotient: Tensor, remainder: Tensor, maxError: Float = 0, itemIDs: [Int]? = nil) {
        precondition(divider >= 1 && quotient.shape == [Self.quotientRows(items: items, divider: divider), remainder.shape[1]])
        precondition(remainder.shape[0] == divider)
        (self.divider, self.items, self.dim) = (divider, items, remainder.shape[1])
        (self.quotient, self.remainder, self.maxError, self.itemIDs) = (quotient, remainder, maxError, itemIDs)
    }

    /// The divider `recctl init-model --table qr` and `recctl compress --format qr` use unless told:
    /// about a quarter of f32's table.
    public static let defaultDivider = 4

    public static func quotientRows(items: Int, divider: Int) -> Int { (items + divider - 1) / divider }

    /// Rows this table answers for (a shard's owned rows, or every item).
    public var rows: Int { itemIDs?.count ?? items }
    public var byteCount: Int { (quotient.count + remainder.count) * 4 + (itemIDs?.count ?? 0) * 8 }

    public func itemID(ofRow row: Int) -> Int { itemIDs?[row] ?? row }

    public func decode(row: Int, into destination: UnsafeMutablePointer<Float>) {
        let id = itemID(ofRow: row)
        let (q, r) = (quotient.row(id / divider), remainder.row(id % divider))
        for c in 0..<dim { destination[c] = q[c] * r[c] }
    }

    /// The rows `ids` of this table, sharing its components.
    public func subset(_ ids: some Collection<Int>) -> QuotientRemainder {
        QuotientRemainder(
            divider: divider, items: items, quotient: quotient, remainder: remainder, maxError: maxError,
            itemIDs: ids.map { itemID(ofRow: $0) })
    }

    /// Seeded random components whose products have the spread of `ModelFile.random`'s item rows
    /// (standard deviation 0.5: each component 0.5^½).
    public static func random(items: Int, dim: Int, divider: Int, seed: UInt64) -> QuotientRemainder {
        var rng = SeededRandom(seed: seed)
        let scale = Float(0.5).squareRoot()
        func fill(_ rows: Int) -> Tensor {
            let tensor = Tensor(shape: [rows, dim])
            for i in 0..<tensor.count { tensor.data[i] = scale * rng.normal() }
            return tensor
        }
        return QuotientRemainder(
            divider: divider, items: items, quotient: fill(quotientRows(items: items, divider: divider)), remainder: fill(divider))
    }

    /// Fits components to an f32 table `[items, dim]`: per dimension the item values form a
    /// ceil(N / D) × D grid, fitted by a rank-1 product: alternating least squares (power
    /// iteration) over the complete quotient rows, then the last, partial row's quotient by least
    /// squares (ALS over the ragged grid as a whole stalls for some dimensions). Exact for a table
    /// trained as QR. The components are then balanced to equal norms per dimension.
    public static func fit(_ table: Tensor, divider: Int, iterations: Int = 30) -> QuotientRemainder {
        let (items, dim) = (table.rows, table.count / max(table.rows, 1))
        let quotient = Tensor(shape: [quotientRows(items: items, divider: divider), dim])
        let remainder = Tensor(shape: [divider, dim])
        for i in 0..<remainder.count { remainder.data[i] = 1 }
        // One least-squares half-step: `target` rows from `other`, summing over items.
        func solve(_ target: Tensor, from other: Tensor, over fitted: Range<Int>, targetIndex: (Int) -> Int, otherIndex: (Int) -> Int) {
            let numerator = Tensor(shape: target.shape)
            let denominator = Tensor(shape: target.shape)
            for item in fitted {
                let (t, o, values) = (targetIndex(item), other.row(otherIndex(item)), table.row(item))
                let (n, d) = (numerator.row(t), denominator.row(t))
                for c in 0..<dim {
                    n[c] += values[c] * o[c]
                    d[c] += o[c] * o[c]
                }
            }
            for i in 0..<target.count { target.data[i] = denominator.data[i] > 0 ? numerator.data[i] / denominator.data[i] : 0 }
        }
        let complete = items / divider * divider
        let grid = complete > 0 ? 0..<complete : 0..<items
        for _ in 0..<iterations {
            solve(quotient, from: remainder, over: grid, targetIndex: { $0 / divider }, otherIndex: { $0 % divider })
            solve(remainder, from: quotient, over: grid, targetIndex: { $0 % divider }, otherIndex: { $0 / divider })
        }
        // Every quotient row from the remainders (the complete rows' come out as they were).
        solve(quotient, from: remainder, over: 0..<items, targetIndex: { $0 / divider }, otherIndex: { $0 % divider })
        for c in 0..<dim {
            var (q, r) = (0.0, 0.0)
            for row in 0..<quotient.rows { q += Double(quotient.row(row)[c] * quotient.row(row)[c]) }
            for row in 0..<divider { r += Double(remainder.row(row)[c] * remainder.row(row)[c]) }
            // A dimension whose values are all (nearly) zero fits as exact zeros: balancing a
            // vanishing factor against a finite one would overflow to inf × 0.
            guard q > 1e-30, r > 1e-30 else {
                for row in 0..<quotient.rows { quotient.row(row)[c] = 0 }
                continue
            }
            let scale = Float((r.squareRoot() / q.squareRoot()).squareRoot())
            for row in 0..<quotient.rows { quotient.row(row)[c] *= scale }
            for row in 0..<divider { remainder.row(row)[c] /= scale }
        }
        var worst: Float = 0
        for item in 0..<items {
            let (q, r, values) = (quotient.row(item / divider), remainder.row(item % divider), table.row(item))
            for c in 0..<dim {
                let error = abs(values[c] - q[c] * r[c])
                if !(error <= worst) { worst = error.isNaN ? .infinity : error }
            }
        }
        return QuotientRemainder(divider: divider, items: items, quotient: quotient, remainder: remainder, maxError: worst)
    }

    /// The chain rule of a push: item-row gradients (`ids.count × dim`) as gradients of the
    /// quotient rows and remainder rows they touch, from the components' current values.
    public func componentGradients(ids: [Int64], gradients: [Float]) -> (quotient: [Int: [Float]], remainder: [Int: [Float]]) {
        var (dq, dr): ([Int: [Float]], [Int: [Float]]) = ([:], [:])
        for (index, id) in ids.enumerated() {
            let (a, b) = (Int(id) / divider, Int(id) % divider)
            let (q, r) = (quotient.row(a), remainder.row(b))
            var gq = dq[a] ?? [Float](repeating: 0, count: dim)
            var gr = dr[b] ?? [Float](repeating: 0, count: dim)
            for c in 0..<dim {
                let g = gradients[index * dim + c]
                gq[c] += g * r[c]
                gr[c] += g * q[c]
            }
            (dq[a], dr[b]) = (gq, gr)
        }
        return (dq, dr)
    }
}
