import Clocks
import Ranking
import Wire

/// One client request in flight through the tiers.
struct PendingRequest {
    enum Phase {
        case encoding
        case generating
        case scoring(remaining: Int)
    }

    let client: ClientAddress
    let request: RecommendRequest
    let deadline: Deadline
    let started: Instant
    var phase: Phase = .encoding
    /// Sent to one scorer with its raw history (`GatewayConfiguration.singleSliceInOneHop`).
    var encodedByScorer = false
    var openJobs: Set<UInt64> = []
    var timings: [TierTiming] = []
    var historyCacheHit = false
    var scoringStarted = Instant.zero
    var slowestScorerMicros: UInt32 = 0
    var partials: [[ScoredItem]] = []
    var modelVersion = ""
    var slices = 0
    /// Kept while generating: the scorer slices need it once the generator answers.
    var history: EncodedHistory?
    /// "given", "all_items" or "generative", and how many items the generator produced.
    var retrieval = "given"
    var generated = 0
    var generationStarted = Instant.zero
    /// The longest any of its jobs waited in the gateway for a free replica.
    var longestQueueWait: Duration = .zero
}

/// One unit of work for one replica: an encode, a generation, or one scorer slice.
struct Job {
    enum Kind: Equatable {
        case encode
        case generate
        case score
    }

    let requestKey: UInt64
    let kind: Kind
    let service: String
    /// Kept so the job can be resent if its worker dies.
    let payload: [UInt8]
    var attempts = 0
    /// When it last joined the queue for a free replica.
    var queuedAt: Instant?
}
