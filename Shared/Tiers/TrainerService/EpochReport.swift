/// What one epoch did, including the traffic it caused and what Slipstream saved.
public struct EpochReport: Sendable, Encodable {
    public var epoch: Int
    public var loss: Float
    public var samples: Int
    /// The whole epoch, validation included.
    public var seconds: Double
    /// Training alone (pulls, forward and backward passes, pushes), without validation.
    public var trainingSeconds: Double
    /// nil on trainers other than worker 0, which alone validates and exports.
    public var validationNDCG: Double?
    public var validationHR: Double?
    /// Generator training: the share of validation targets among the generated items.
    public var validationRecall: Double?
    /// With checkpoint averaging: how many epochs' models the validated (and exported) mean holds.
    public var averagedEpochs: Int?
    public var traffic = TrafficCounters()

    public init(
        epoch: Int, loss: Float, samples: Int, seconds: Double, trainingSeconds: Double, validationNDCG: Double? = nil,
        validationHR: Double? = nil, traffic: TrafficCounters = TrafficCounters()
    ) {
        (self.epoch, self.loss, self.samples, self.seconds, self.trainingSeconds) = (epoch, loss, samples, seconds, trainingSeconds)
        (self.validationNDCG, self.validationHR, self.traffic) = (validationNDCG, validationHR, traffic)
    }

    /// What early stopping and the export compare: NDCG@10 for the model, recall for the generator.
    public var validationScore: Double? { validationNDCG ?? validationRecall }

    /// Training throughput of this process: examples over the training time (validation excluded).
    public var examplesPerSecond: Double { trainingSeconds > 0 ? Double(samples) / trainingSeconds : 0 }
}

/// Row and byte counts of the exchange with the parameter server.
public struct TrafficCounters: Sendable, Encodable {
    public var rowsPulled = 0
    public var rowsPushed = 0
    /// Pulls and pushes not made because the row was stale (Slipstream).
    public var rowsSkipped = 0
    public var samplesSkipped = 0
    /// Item-row bytes over the wire (ids and values, both directions).
    public var rowBytes = 0
    /// Dense gradient and weight bytes (the shared dense weights, both directions).
    public var denseBytes = 0

    public init() {}

    init(rowsPulled: Int, rowsPushed: Int, rowsSkipped: Int, samplesSkipped: Int, rowBytes: Int, denseBytes: Int) {
        (self.rowsPulled, self.rowsPushed, self.rowsSkipped) = (rowsPulled, rowsPushed, rowsSkipped)
        (self.samplesSkipped, self.rowBytes, self.denseBytes) = (samplesSkipped, rowBytes, denseBytes)
    }

    /// Bytes of one row on the wire: its id and its f32 values.
    public static func rowCost(dim: Int) -> Int { 8 + 4 * dim }

    public static func + (a: TrafficCounters, b: TrafficCounters) -> TrafficCounters {
        TrafficCounters(
            rowsPulled: a.rowsPulled + b.rowsPulled, rowsPushed: a.rowsPushed + b.rowsPushed, rowsSkipped: a.rowsSkipped + b.rowsSkipped,
            samplesSkipped: a.samplesSkipped + b.samplesSkipped, rowBytes: a.rowBytes + b.rowBytes, denseBytes: a.denseBytes + b.denseBytes)
    }
}
