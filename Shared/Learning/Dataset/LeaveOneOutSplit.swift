/// One evaluation case: rank `target` given the items before it.
public struct EvaluationCase: Sendable, Equatable {
    public var user: Int
    public var history: [Int64]
    public var target: Int64

    public init(user: Int, history: [Int64], target: Int64) {
        self.user = user
        self.history = history
        self.target = target
    }
}

/// The leave-one-out split by time: per user, the last item is the test target, the second-last
/// the validation target, the rest is training data. Users with fewer than 3 items only train.
public struct LeaveOneOutSplit: Sendable {
    public let dataset: SequenceDataset
    /// Training prefix per user (what the model may learn from).
    public let training: [[Int64]]
    public let validation: [EvaluationCase]
    public let test: [EvaluationCase]

    public init(_ dataset: SequenceDataset) {
        self.dataset = dataset
        var training: [[Int64]] = []
        var validation: [EvaluationCase] = []
        var test: [EvaluationCase] = []
        for (user, sequence) in dataset.sequences.enumerated() {
            guard sequence.count >= 3 else {
                training.append(sequence)
                continue
            }
            let n = sequence.count
            training.append(Array(sequence[..<(n - 2)]))
            validation.append(EvaluationCase(user: user, history: Array(sequence[..<(n - 2)]), target: sequence[n - 2]))
            test.append(EvaluationCase(user: user, history: Array(sequence[..<(n - 1)]), target: sequence[n - 1]))
        }
        self.training = training
        self.validation = validation
        self.test = test
    }

    /// Every item the user interacted with anywhere in the data (for sampling negatives).
    public func allItems(of user: Int) -> Set<Int64> { Set(dataset.sequences[user]) }
}
