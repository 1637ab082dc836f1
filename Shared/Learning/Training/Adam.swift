import RealModule

/// Adam over one flat vector of weights: the dense weights in the model file's layout order.
///
/// Flat so the same optimizer runs wherever the dense weights live: on the embedding-server's
/// shard 0, shared by every trainer (the parameter server), and in tests.
public struct Adam: Sendable {
    public var learningRate: Float
    public let beta1: Float = 0.9
    public let beta2: Float = 0.999
    public let epsilon: Float = 1e-8
    private var first: [Float] = []
    private var second: [Float] = []
    public private(set) var steps = 0

    public init(learningRate: Float) { self.learningRate = learningRate }

    /// One step: `weights -= rate * m̂ / (sqrt(v̂) + ε)`.
    public mutating func step(_ weights: inout [Float], gradient g: [Float]) {
        precondition(weights.count == g.count, "\(g.count) gradients for \(weights.count) weights")
        if first.isEmpty {
            first = [Float](repeating: 0, count: g.count)
            second = first
        }
        steps += 1
        let correction1 = 1 - Float.pow(beta1, Float(steps))
        let correction2 = 1 - Float.pow(beta2, Float(steps))
        let (b1, b2, rate, eps) = (beta1, beta2, learningRate, epsilon)
        first.withUnsafeMutableBufferPointer { m in
            second.withUnsafeMutableBufferPointer { v in
                weights.withUnsafeMutableBufferPointer { w in
                    for i in 0..<g.count {
                        m[i] = b1 * m[i] + (1 - b1) * g[i]
                        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                        w[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                    }
                }
            }
        }
    }
}
