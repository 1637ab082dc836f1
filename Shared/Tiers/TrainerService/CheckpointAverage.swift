import Model

/// The running mean of the models at the ends of epochs (stochastic weight averaging, Izmailov et
/// al. 2018), for short runs: with a constant learning rate the last epochs' weights scatter around
/// a good point, and their mean is closer to it than any one of them. Training continues from the
/// server's current weights; only what worker 0 validates and exports is the mean.
public struct CheckpointAverage: Sendable {
    public private(set) var count = 0
    private var dense: [[Float]] = []
    private var table: [Float] = []

    public init() {}

    /// Adds one snapshot (dense weights and the whole item table) to the mean.
    public mutating func add(_ model: ModelFile) {
        let tensors = model.dense.all
        precondition(model.itemTable != nil, "a checkpoint to average needs its item table")
        count += 1
        if count == 1 {
            dense = tensors.map(\.array)
            table = model.itemTable!.array
            return
        }
        let weight = 1 / Float(count)
        for (i, tensor) in tensors.enumerated() { Self.blend(&dense[i], tensor.buffer, weight: weight) }
        Self.blend(&table, model.itemTable!.buffer, weight: weight)
    }

    /// The mean so far, as a model file shaped like `like` (its config and version).
    public func mean(like model: ModelFile) -> ModelFile {
        let layout = DenseWeights.layout(model.config)
        let tensors = zip(layout, dense).map { Tensor(shape: $0.shape, values: $1) }
        return ModelFile(
            config: model.config, dense: DenseWeights(config: model.config, tensors: tensors),
            itemTable: Tensor(shape: [model.config.itemCount, model.config.dim], values: table))
    }

    /// `mean += (x − mean) · weight`: the running mean after one more sample.
    private static func blend(_ mean: inout [Float], _ x: UnsafeMutableBufferPointer<Float>, weight: Float) {
        precondition(mean.count == x.count)
        mean.withUnsafeMutableBufferPointer { mean in
            for i in 0..<mean.count { mean[i] += (x[i] - mean[i]) * weight }
        }
    }
}
