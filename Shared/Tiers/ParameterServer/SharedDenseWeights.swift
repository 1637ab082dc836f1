import Training
import Wire

/// The dense weights every trainer shares, held by shard 0's push endpoint: each trainer pushes
/// its dense gradient and gets the current weights back, so several trainer processes train one
/// model (asynchronous data parallelism, each at most a step behind). Adam's state lives here.
///
/// Held in memory only: pushed rows are journaled (`PushJournal`), dense weights are not; after a
/// restart they come from the model file again, and trainers export what they trained.
final class SharedDenseWeights {
    let version: String
    private(set) var weights: [Float]
    private var adam: Adam

    init(version: String, weights: [Float]) {
        self.version = version
        self.weights = weights
        adam = Adam(learningRate: 0.001)
    }

    var steps: UInt64 { UInt64(adam.steps) }

    /// Why `gradient` cannot be applied, if it cannot (checked before anything of a push is applied).
    func problem(with gradient: [Float], learningRate: Float) -> ServiceError? {
        guard gradient.count == weights.count else {
            return .badRequest("\(gradient.count) dense gradient values for \(weights.count) dense weights")
        }
        guard learningRate > 0, learningRate.isFinite else {
            return .badRequest("dense learning rate must be positive, got \(learningRate)")
        }
        guard gradient.allSatisfy(\.isFinite) else { return .badRequest("dense gradient has NaN or infinite values; not applied") }
        return nil
    }

    /// One Adam step at the trainer's learning rate; `problem(with:)` must have passed.
    func apply(_ gradient: [Float], learningRate: Float) {
        adam.learningRate = learningRate
        adam.step(&weights, gradient: gradient)
    }
}
