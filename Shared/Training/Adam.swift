import RealModule

/// Adam for the dense weights, which the trainer owns (the sparse rows' optimizer lives on the
/// embedding-server).
public struct Adam {
    public var learningRate: Float
    public let beta1: Float = 0.9
    public let beta2: Float = 0.999
    public let epsilon: Float = 1e-8
    private var first: [String: [Float]] = [:]
    private var second: [String: [Float]] = [:]
    private var steps = 0

    public init(learningRate: Float) { self.learningRate = learningRate }

    /// One step over every tensor that has a gradient.
    public mutating func step(_ model: inout TrainingModel, gradients: [String: [Float]]) {
        steps += 1
        let correction1 = 1 - Float.pow(beta1, Float(steps))
        let correction2 = 1 - Float.pow(beta2, Float(steps))
        for (name, g) in gradients {
            var m = first[name] ?? [Float](repeating: 0, count: g.count)
            var v = second[name] ?? [Float](repeating: 0, count: g.count)
            for i in g.indices {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            }
            first[name] = m
            second[name] = v
            let rate = learningRate
            let eps = epsilon
            model.update(name) { weights in
                for i in weights.indices {
                    weights[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                }
            }
        }
    }
}
