import Model

/// RQ-Kmeans as OneRec's tokenizer: k-means on the item vectors, then k-means on what the first
/// level's centroids leave unexplained, and so on for `levels` levels; an item's semantic ID is
/// its cluster at each level.
///
/// Two items can land on the same ID. They are separated by **nearest free code**: the item
/// closest to the shared code keeps it, each other one takes the free last-level code nearest to
/// its residual under the same prefix; only when that prefix is full does it back off a level
/// (nearest free code under the nearest prefix one level up, and so on). IDs stay `levels` long,
/// unlike TIGER's extra disambiguation level, so every ID is one beam-search step per level.
public struct ResidualQuantizer {
    public let levels: Int
    public let codesPerLevel: Int
    public let iterations: Int
    public let seed: UInt64

    public init(levels: Int, codesPerLevel: Int, iterations: Int = 20, seed: UInt64 = 1) {
        (self.levels, self.codesPerLevel, self.iterations, self.seed) = (levels, codesPerLevel, iterations, seed)
    }

    public struct Outcome {
        public let ids: SemanticIDs
        /// Items that had to leave the code k-means gave them; of those, how many left its prefix too.
        public let collisionsResolved: Int
        public let movedOutOfPrefix: Int

        public init(ids: SemanticIDs, collisionsResolved: Int, movedOutOfPrefix: Int) {
            (self.ids, self.collisionsResolved, self.movedOutOfPrefix) = (ids, collisionsResolved, movedOutOfPrefix)
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case tooManyItems(items: Int, capacity: Double)
        public var description: String {
            switch self {
            case .tooManyItems(let items, let capacity):
                return "\(items) items do not fit in \(Int(capacity)) semantic IDs; raise --levels or --codes"
            }
        }
    }

    /// Quantizes `count` vectors of `dim` floats (row-major).
    public func fit(_ vectors: [Float], count: Int, dim: Int) throws(Failure) -> Outcome {
        let capacity = (0..<levels).reduce(1.0) { r, _ in r * Double(codesPerLevel) }
        guard Double(count) <= capacity else { throw .tooManyItems(items: count, capacity: capacity) }
        var residual = vectors
        var residuals: [[Float]] = []  // the residual each level quantized
        var centroids: [[Float]] = []
        var codes = [UInt16](repeating: 0, count: count * levels)
        for level in 0..<levels {
            let kmeans = KMeans(clusters: codesPerLevel, iterations: iterations, seed: seed &+ UInt64(level))
            let result = kmeans.fit(residual, count: count, dim: dim)
            residuals.append(residual)
            centroids.append(result.centroids)
            for item in 0..<count {
                let code = result.assignment[item]
                codes[item * levels + level] = UInt16(code)
                for j in 0..<dim { residual[item * dim + j] -= result.centroids[code * dim + j] }
            }
        }
        let separated = Separation(
            levels: levels, codesPerLevel: codesPerLevel, dim: dim, residuals: residuals, centroids: centroids)
        let (moved, outOfPrefix) = separated.resolve(&codes, count: count)
        let ids = try! SemanticIDs(levels: levels, codesPerLevel: codesPerLevel, codes: codes)  // unique by construction
        return Outcome(ids: ids, collisionsResolved: moved, movedOutOfPrefix: outOfPrefix)
    }

    /// Unique random IDs (the tokenizer table's baseline): distinct keys drawn uniformly.
    public static func randomIDs(count: Int, levels: Int, codesPerLevel: Int, seed: UInt64) -> SemanticIDs {
        let capacity = (0..<levels).reduce(1) { r, _ in r * codesPerLevel }
        precondition(count <= capacity, "\(count) items do not fit in \(capacity) IDs")
        var random = SeededRandom(seed: seed)
        var keys = Set<Int>()
        var codes = [UInt16](repeating: 0, count: count * levels)
        for item in 0..<count {
            var key = Int.random(in: 0..<capacity, using: &random)
            while !keys.insert(key).inserted { key = Int.random(in: 0..<capacity, using: &random) }
            for level in (0..<levels).reversed() {
                codes[item * levels + level] = UInt16(key % codesPerLevel)
                key /= codesPerLevel
            }
        }
        return try! SemanticIDs(levels: levels, codesPerLevel: codesPerLevel, codes: codes)
    }
}

/// The nearest-free-code search behind `ResidualQuantizer`.
struct Separation {
    let levels: Int
    let codesPerLevel: Int
    let dim: Int
    let residuals: [[Float]]
    let centroids: [[Float]]

    func key(_ codes: [UInt16], item: Int, through level: Int) -> Int {
        (0..<level).reduce(0) { $0 * codesPerLevel + Int(codes[item * levels + $1]) }
    }

    /// Squared distances from `vector` to every centroid of `level`, codes nearest first.
    func nearest(_ vector: [Float], level: Int) -> [(code: Int, distance: Float)] {
        (0..<codesPerLevel).map { code in
            var d: Float = 0
            for j in 0..<dim {
                let diff = vector[j] - centroids[level][code * dim + j]
                d += diff * diff
            }
            return (code, d)
        }.sorted { ($0.distance, $0.code) < ($1.distance, $1.code) }
    }

    /// Moves every item but the closest off each shared ID; returns (moved, moved out of their prefix).
    func resolve(_ codes: inout [UInt16], count: Int) -> (Int, Int) {
        var holders: [Int: [Int]] = [:]
        for item in 0..<count { holders[key(codes, item: item, through: levels), default: []].append(item) }
        var taken = Set(holders.keys)
        var toMove: [Int] = []
        let last = levels - 1
        for (_, items) in holders where items.count > 1 {
            // The item nearest its last-level centroid keeps the ID.
            let ranked = items.sorted {
                distance(item: $0, code: codes[$0 * levels + last]) < distance(item: $1, code: codes[$1 * levels + last])
            }
            toMove += ranked.dropFirst()
        }
        var outOfPrefix = 0
        for item in toMove.sorted() {
            var placed = false
            for start in stride(from: last, through: 0, by: -1) where !placed {
                let prefix = (0..<start).map { codes[item * levels + $0] }
                let vector = Array(residuals[start][(item * dim)..<((item + 1) * dim)])
                if let found = search(level: start, prefix: prefix, vector: vector, taken: taken, budget: 200_000) {
                    for (level, code) in found.enumerated() { codes[item * levels + level] = code }
                    taken.insert(key(codes, item: item, through: levels))
                    if start < last { outOfPrefix += 1 }
                    placed = true
                }
            }
            precondition(placed, "no free semantic ID left")  // ruled out by the capacity check
        }
        return (toMove.count, outOfPrefix)
    }

    func distance(item: Int, code: UInt16) -> Float {
        var d: Float = 0
        for j in 0..<dim {
            let diff = residuals[levels - 1][item * dim + j] - centroids[levels - 1][Int(code) * dim + j]
            d += diff * diff
        }
        return d
    }

    /// Depth-first over codes nearest first from `level` on, under `prefix`: the first free full ID.
    func search(level: Int, prefix: [UInt16], vector: [Float], taken: Set<Int>, budget: Int) -> [UInt16]? {
        var remaining = budget
        func visit(_ level: Int, _ prefix: [UInt16], _ vector: [Float]) -> [UInt16]? {
            for (code, _) in nearest(vector, level: level) {
                remaining -= 1
                if remaining < 0 { return nil }
                let next = prefix + [UInt16(code)]
                if level == levels - 1 {
                    let key = next.reduce(0) { $0 * codesPerLevel + Int($1) }
                    if !taken.contains(key) { return next }
                } else {
                    var rest = vector
                    for j in 0..<dim { rest[j] -= centroids[level][code * dim + j] }
                    if let found = visit(level + 1, next, rest) { return found }
                }
            }
            return nil
        }
        return visit(level, prefix, vector)
    }
}
