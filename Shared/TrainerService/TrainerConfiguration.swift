import Training
import ZeroMQ

/// Settings of one trainer process.
public struct TrainerConfiguration: Sendable {
    /// Model file the run starts from: dense weights here, item rows on the embedding-server
    /// (which must have been started from the same file).
    public var initialModel: String
    public var output: String
    public var dataFolder = "data/ml-100k"
    public var embeddingEndpoints: [String]
    public var pushEndpoints: [String]
    public var epochs = 30
    public var samplesPerUser = 8
    public var batchSize = 64
    public var negatives = 8
    public var loss = TrainingLoss.binaryCrossEntropy
    public var learningRate: Float = 0.001
    /// Epochs without a better validation NDCG@10 before stopping.
    public var patience = 4
    public var seed: UInt64 = 1
    /// Data parallelism: this trainer takes users with `user % workers == worker`.
    public var worker = 0
    public var workers = 1
    /// CURVE to the embedding-server's lookup and push endpoints, when it requires it.
    public var curve: CurveClientSettings?
    /// Export as `<version>`; default `trained-<seed>`.
    public var version: String?

    public init(initialModel: String, output: String, embeddingEndpoints: [String], pushEndpoints: [String]) {
        self.initialModel = initialModel
        self.output = output
        self.embeddingEndpoints = embeddingEndpoints
        self.pushEndpoints = pushEndpoints
    }
}
