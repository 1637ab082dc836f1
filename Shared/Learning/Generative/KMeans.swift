import Model

/// Lloyd's k-means with squared Euclidean distance, the distances computed as matrix products
/// (`|x|² - 2 x·c + |c|²`, the `x·c` part one GEMM per iteration) on the model's GEMM kernel.
///
/// Seeded by k-means++ on the points themselves, so a seed always gives the same clusters; an
/// empty cluster is re-seeded with the point farthest from its centroid.
public struct KMeans {
    public let clusters: Int
    public let iterations: Int
    public let seed: UInt64

    /// Centroids are trained on at most this many points per cluster, drawn at random, and every
    /// point is then assigned once (faiss' default, 256: more points move the centroids little
    /// and cost a GEMM each iteration).
    public let maxPointsPerCluster: Int

    public init(clusters: Int, iterations: Int = 20, seed: UInt64 = 1, maxPointsPerCluster: Int = 256) {
        precondition(clusters >= 1 && iterations >= 1 && maxPointsPerCluster >= 1)
        (self.clusters, self.iterations, self.seed, self.maxPointsPerCluster) = (clusters, iterations, seed, maxPointsPerCluster)
    }

    /// Centroids (`clusters x dim`, row-major) and each point's cluster.
    public struct Result {
        public var centroids: [Float]
        public var assignment: [Int]
    }

    /// Clusters `count` points of `dim` floats (row-major). More clusters than points leaves the
    /// extra centroids at copies of points (they are never the only nearest).
    public func fit(_ points: [Float], count: Int, dim: Int) -> Result {
        precondition(points.count == count * dim && count >= 1)
        var random = SeededRandom(seed: seed)
        let trainingCount = min(count, maxPointsPerCluster * clusters)
        var training = points
        if trainingCount < count {
            var chosen = Array(0..<count)
            for i in 0..<trainingCount { chosen.swapAt(i, Int.random(in: i..<count, using: &random)) }
            training = [Float](repeating: 0, count: trainingCount * dim)
            for (row, point) in chosen.prefix(trainingCount).sorted().enumerated() {
                for j in 0..<dim { training[row * dim + j] = points[point * dim + j] }
            }
        }
        let centroids = train(training, count: trainingCount, dim: dim, random: &random)
        var assignment = [Int](repeating: 0, count: count)
        var distance = [Float](repeating: 0, count: count)
        Self.assign(points, count: count, dim: dim, centroids: centroids, clusters: clusters, into: &assignment, distances: &distance)
        return Result(centroids: centroids, assignment: assignment)
    }

    /// Lloyd's iterations from a k-means++ start.
    func train(_ points: [Float], count: Int, dim: Int, random: inout SeededRandom) -> [Float] {
        let k = clusters
        var centroids = seedPlusPlus(points, count: count, dim: dim, random: &random)
        var assignment = [Int](repeating: 0, count: count)
        var distance = [Float](repeating: 0, count: count)
        for _ in 0..<iterations {
            Self.assign(points, count: count, dim: dim, centroids: centroids, clusters: k, into: &assignment, distances: &distance)
            var sums = [Double](repeating: 0, count: k * dim)
            var sizes = [Int](repeating: 0, count: k)
            points.withUnsafeBufferPointer { p in
                sums.withUnsafeMutableBufferPointer { sums in
                    for point in 0..<count {
                        let cluster = assignment[point]
                        sizes[cluster] += 1
                        let (row, sum) = (p.baseAddress! + point * dim, sums.baseAddress! + cluster * dim)
                        for j in 0..<dim { sum[j] += Double(row[j]) }
                    }
                }
            }
            var moved = false
            for cluster in 0..<k {
                if sizes[cluster] == 0 {
                    // Re-seed an empty cluster with the worst-served point, which then leaves its old cluster.
                    guard let far = distance.indices.max(by: { distance[$0] < distance[$1] }), distance[far] > 0 else { continue }
                    for j in 0..<dim { centroids[cluster * dim + j] = points[far * dim + j] }
                    distance[far] = 0
                    moved = true
                    continue
                }
                for j in 0..<dim {
                    let mean = Float(sums[cluster * dim + j] / Double(sizes[cluster]))
                    if mean != centroids[cluster * dim + j] { moved = true }
                    centroids[cluster * dim + j] = mean
                }
            }
            if !moved { break }
        }
        return centroids
    }

    /// Each point's nearest centroid and its squared distance: one GEMM of `-2 x·c` per block of
    /// points, then the kernels' row argmin of `|c|² - 2 x·c`.
    public static func assign(
        _ points: [Float], count: Int, dim: Int, centroids: [Float], clusters k: Int, into assignment: inout [Int],
        distances: inout [Float], path: KernelPath = CPU.current.bestPath
    ) {
        let centroidNorms = (0..<k).map { c in (0..<dim).reduce(Float(0)) { $0 + centroids[c * dim + $1] * centroids[c * dim + $1] } }
        let block = 1_024
        var products = [Float](repeating: 0, count: min(block, count) * k)
        var index = [Int32](repeating: 0, count: block)
        var value = [Float](repeating: 0, count: block)
        var start = 0
        while start < count {
            let rows = min(block, count - start)
            points.withUnsafeBufferPointer { p in
                centroids.withUnsafeBufferPointer { c in
                    products.withUnsafeMutableBufferPointer { out in
                        Kernels.gemm(
                            m: rows, n: k, k: dim, a: p.baseAddress! + start * dim, lda: dim, b: c.baseAddress!, ldb: dim,
                            transposeB: true, c: out.baseAddress!, ldc: k, alpha: -2)
                        Kernels.argminRows(
                            path, rows: rows, cols: k, out.baseAddress!, ld: k, offset: centroidNorms, index: &index, value: &value)
                    }
                    for row in 0..<rows {
                        let x = p.baseAddress! + (start + row) * dim
                        var norm: Float = 0
                        for j in 0..<dim { norm += x[j] * x[j] }
                        assignment[start + row] = Int(index[row])
                        distances[start + row] = max(0, value[row] + norm)
                    }
                }
            }
            start += rows
        }
    }

    /// k-means++: each next centroid drawn with probability proportional to its squared distance
    /// from the nearest centroid so far (on a sample of at most 20,000 points, for speed).
    func seedPlusPlus(_ points: [Float], count: Int, dim: Int, random: inout SeededRandom) -> [Float] {
        let indices = count <= 20_000 ? Array(0..<count) : (0..<20_000).map { _ in Int.random(in: 0..<count, using: &random) }
        var sample = [Float](repeating: 0, count: indices.count * dim)
        for (row, point) in indices.enumerated() {
            for j in 0..<dim { sample[row * dim + j] = points[point * dim + j] }
        }
        let m = indices.count
        var centroids = [Float](repeating: 0, count: clusters * dim)
        var nearest = [Float](repeating: .infinity, count: m)
        var chosen = Int.random(in: 0..<m, using: &random)
        sample.withUnsafeBufferPointer { sample in
            nearest.withUnsafeMutableBufferPointer { nearest in
                for cluster in 0..<clusters {
                    let center = sample.baseAddress! + chosen * dim
                    for j in 0..<dim { centroids[cluster * dim + j] = center[j] }
                    var total: Double = 0
                    for row in 0..<m {
                        let x = sample.baseAddress! + row * dim
                        var d: Float = 0
                        for j in 0..<dim {
                            let diff = x[j] - center[j]
                            d += diff * diff
                        }
                        nearest[row] = min(nearest[row], d)
                        total += Double(nearest[row])
                    }
                    guard total > 0 else {
                        chosen = Int.random(in: 0..<m, using: &random)
                        continue
                    }
                    var target = Double.random(in: 0..<total, using: &random)
                    chosen = m - 1
                    for row in 0..<m {
                        target -= Double(nearest[row])
                        if target < 0 {
                            chosen = row
                            break
                        }
                    }
                }
            }
        }
        return centroids
    }
}
