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
    /// Items of the example's own history added as negatives (see `SampleBuilder`).
    public var historyNegatives = 0
    /// Of `negatives`, how many are drawn by smoothed popularity instead of uniformly (see `SampleBuilder`).
    public var popularNegatives = 0
    public var loss = TrainingLoss.binaryCrossEntropy
    public var learningRate: Float = 0.001
    /// The dense learning rate is multiplied by this after every epoch (1: constant).
    public var learningRateDecay: Float = 1
    /// Dropout rate on embeddings and on each block's attention and FFN outputs (0: off).
    public var dropout: Float = 0
    /// From this epoch on, worker 0 validates and exports the mean of the epochs' models
    /// (`CheckpointAverage`) instead of the latest; nil: off.
    public var averageFrom: Int?
    /// Epochs without a better validation NDCG@10 before stopping.
    public var patience = 4
    public var seed: UInt64 = 1
    /// Data parallelism: this trainer takes users with `user % workers == worker`.
    public var worker = 0
    public var workers = 1
    /// CURVE to the embedding-server's lookup and push endpoints, when it requires it.
    public var curve: CurveClientSettings?
    /// Slipstream (skip hot rows that stopped changing); nil: off, the default.
    public var slipstream: SlipstreamSettings?
    /// Export as `<version>`; default `trained-<seed>`.
    public var version: String?
    /// Generator training (`GeneratorTrainer`): the beam width of the validation recall.
    public var validationBeam = 50

    public init(initialModel: String, output: String, embeddingEndpoints: [String], pushEndpoints: [String]) {
        self.initialModel = initialModel
        self.output = output
        self.embeddingEndpoints = embeddingEndpoints
        self.pushEndpoints = pushEndpoints
    }
}

/// Slipstream's knobs (arXiv 2404.04270), trainer side.
public struct SlipstreamSettings: Sendable {
    /// A hot row whose relative change since its snapshot is below this is stale.
    public var threshold: Float = 0.05
    /// Share of rows (the most pushed) snapshotted as hot.
    public var hotFraction: Float = 0.5
    /// Steps between queries (each takes a new snapshot).
    public var periodSteps = 40
    /// Every this many epochs every row is fresh again (the periodic full refresh). A frozen row
    /// gets no pushes, so the server sees it unchanged and reports it stale again: only a refresh,
    /// which trains it for a period before the next query, re-measures it. Hence every epoch.
    public var fullRefreshEpochs = 1
    /// Epochs trained in full before the first snapshot: early on every row still moves.
    public var warmupEpochs = 1

    public init() {}
}
