import RowCodec

/// Swift forms of the messages in `Shared/Transport/Proto/recserve.proto`. Codecs live in `*+Codec.swift`.
///
/// Services work with these values only; the protobuf-c structs never leave this module.

/// Carried by every request: who it is (for logs and replies) and when it stops being worth doing.
public struct RequestHeader: Sendable, Equatable {
    public var requestID: UInt64
    /// nil when the sender gave none; each tier then applies its own default.
    public var deadline: Deadline?

    public init(requestID: UInt64, deadline: Deadline?) {
        self.requestID = requestID
        self.deadline = deadline
    }
}

/// Client -> gateway: rank `candidates` (or every item) for a user with this history.
public struct RecommendRequest: Sendable, Equatable {
    public var header: RequestHeader
    public var userID: String
    /// Oldest first.
    public var history: [Int64]
    public var candidates: [Int64]
    public var allItems: Bool
    public var k: Int32
    /// How candidates are found when none are listed.
    public var retrieval: Retrieval
    /// Items to generate for generative retrieval; 0: the gateway's default.
    public var beam: UInt32

    public init(
        header: RequestHeader, userID: String, history: [Int64], candidates: [Int64] = [],
        allItems: Bool = false, k: Int32, retrieval: Retrieval = .default, beam: UInt32 = 0
    ) {
        self.header = header
        self.userID = userID
        self.history = history
        self.candidates = candidates
        self.allItems = allItems
        self.k = k
        self.retrieval = retrieval
        self.beam = beam
    }
}

/// Where a Recommend's candidates come from when the client lists none.
public enum Retrieval: Int32, Sendable, CaseIterable {
    /// The gateway chooses: every item, or generation for catalogs above its configured size.
    case `default` = 0
    case allItems = 1
    /// Beam search over semantic IDs from the history, then the scorer re-selects among those.
    case generative = 2
}

/// How long one tier took for a request, as seen by the gateway.
public struct TierTiming: Sendable, Equatable {
    public var tier: String
    public var micros: UInt32

    public init(tier: String, micros: UInt32) {
        self.tier = tier
        self.micros = micros
    }
}

/// A ranked list: parallel arrays, best first.
public struct RankedItems: Sendable, Equatable {
    public var items: [Int64]
    public var scores: [Float]

    public init(items: [Int64] = [], scores: [Float] = []) {
        precondition(items.count == scores.count)
        self.items = items
        self.scores = scores
    }
}

/// Gateway -> client.
public struct RecommendReply: Sendable, Equatable {
    public var requestID: UInt64
    public var error: ServiceError?
    public var ranked: RankedItems
    public var modelVersion: String
    public var timings: [TierTiming]
    public var scorerSlices: UInt32
    public var historyCacheHit: Bool
    /// An overloaded gateway's stand-in: this user's last good answer, not a fresh one.
    public var degraded: Bool
    /// The candidates' path: "given", "all_items" or "generative"; and how many were generated.
    public var retrieval: String
    public var generated: UInt32

    public init(
        requestID: UInt64, error: ServiceError? = nil, ranked: RankedItems = .init(), modelVersion: String = "",
        timings: [TierTiming] = [], scorerSlices: UInt32 = 0, historyCacheHit: Bool = false, degraded: Bool = false,
        retrieval: String = "", generated: UInt32 = 0
    ) {
        self.retrieval = retrieval
        self.generated = generated
        self.requestID = requestID
        self.error = error
        self.ranked = ranked
        self.modelVersion = modelVersion
        self.timings = timings
        self.scorerSlices = scorerSlices
        self.historyCacheHit = historyCacheHit
        self.degraded = degraded
    }
}

/// Gateway -> history-encoder.
public struct EncodeRequest: Sendable, Equatable {
    public var header: RequestHeader
    public var userID: String
    public var history: [Int64]
    /// The version to encode with (the gateway's split chose it); empty: the encoder's active one.
    public var modelVersion: String

    public init(header: RequestHeader, userID: String, history: [Int64], modelVersion: String = "") {
        self.header = header
        self.userID = userID
        self.history = history
        self.modelVersion = modelVersion
    }
}

/// Every layer's history keys and values: `layers x length x dim` F32 each, layer-major.
public struct EncodedHistory: Sendable, Equatable {
    public var modelVersion: String
    public var itemCount: Int
    public var layers: Int
    public var length: Int
    public var dim: Int
    public var keys: [Float]
    public var values: [Float]

    public init(
        modelVersion: String, itemCount: Int, layers: Int, length: Int, dim: Int, keys: [Float], values: [Float]
    ) {
        precondition(keys.count == layers * length * dim && values.count == keys.count)
        self.modelVersion = modelVersion
        self.itemCount = itemCount
        self.layers = layers
        self.length = length
        self.dim = dim
        self.keys = keys
        self.values = values
    }
}

/// History-encoder -> gateway.
public struct EncodeReply: Sendable, Equatable {
    public var requestID: UInt64
    public var result: Result<EncodedHistory, ServiceError>
    public var cacheHit: Bool
    public var computeMicros: UInt32

    public init(requestID: UInt64, result: Result<EncodedHistory, ServiceError>, cacheHit: Bool = false, computeMicros: UInt32 = 0) {
        self.requestID = requestID
        self.result = result
        self.cacheHit = cacheHit
        self.computeMicros = computeMicros
    }
}

/// Which candidates a scorer slice covers.
public enum CandidateSlice: Sendable, Equatable {
    case ids([Int64])
    /// Every item id in the half-open range.
    case range(Range<Int64>)

    public var count: Int {
        switch self {
        case .ids(let ids): ids.count
        case .range(let range): range.count
        }
    }
}

/// A history its receiver encodes itself.
public struct RawHistory: Sendable, Equatable {
    public var userID: String
    public var items: [Int64]
    /// The version to encode with (the gateway's split chose it); empty: the receiver's active one.
    public var modelVersion: String

    public init(userID: String, items: [Int64], modelVersion: String = "") {
        self.userID = userID
        self.items = items
        self.modelVersion = modelVersion
    }
}

/// What a scorer scores a slice against.
public enum ScoreHistory: Sendable, Equatable {
    /// Keys and values from the history-encoder, shared by every slice of the request.
    case encoded(EncodedHistory)
    /// The request is a single slice: the scorer encodes the history itself, which saves the
    /// encoder's round trip and keeps the keys and values off the network.
    case raw(RawHistory)
}

/// Gateway -> scorer.
public struct ScoreRequest: Sendable, Equatable {
    public var header: RequestHeader
    public var history: ScoreHistory
    public var candidates: CandidateSlice
    public var k: Int32

    public init(header: RequestHeader, history: ScoreHistory, candidates: CandidateSlice, k: Int32) {
        self.header = header
        self.history = history
        self.candidates = candidates
        self.k = k
    }

    public init(header: RequestHeader, history: EncodedHistory, candidates: CandidateSlice, k: Int32) {
        self.init(header: header, history: .encoded(history), candidates: candidates, k: k)
    }
}

/// What a scorer computed for one slice.
public struct ScoredSlice: Sendable, Equatable {
    public var ranked: RankedItems
    public var modelVersion: String
    public var computeMicros: UInt32
    public var rowCacheMisses: UInt32
    /// For a raw history: time spent encoding it (part of `computeMicros`) and whether the
    /// scorer's encoding cache had it.
    public var encodeMicros: UInt32
    public var historyCacheHit: Bool

    public init(
        ranked: RankedItems, modelVersion: String, computeMicros: UInt32 = 0, rowCacheMisses: UInt32 = 0, encodeMicros: UInt32 = 0,
        historyCacheHit: Bool = false
    ) {
        self.ranked = ranked
        self.modelVersion = modelVersion
        self.computeMicros = computeMicros
        self.rowCacheMisses = rowCacheMisses
        self.encodeMicros = encodeMicros
        self.historyCacheHit = historyCacheHit
    }
}

/// Scorer -> gateway.
public struct ScoreReply: Sendable, Equatable {
    public var requestID: UInt64
    public var result: Result<ScoredSlice, ServiceError>

    public init(requestID: UInt64, result: Result<ScoredSlice, ServiceError>) {
        self.requestID = requestID
        self.result = result
    }
}

/// Gateway -> generator.
public struct GenerateRequest: Sendable, Equatable {
    public var header: RequestHeader
    public var history: EncodedHistory
    public var beam: UInt32

    public init(header: RequestHeader, history: EncodedHistory, beam: UInt32) {
        (self.header, self.history, self.beam) = (header, history, beam)
    }
}

/// What a generator produced: distinct items, best first.
public struct GeneratedItems: Sendable, Equatable {
    public var items: [Int64]
    public var logProbabilities: [Float]
    public var modelVersion: String
    public var computeMicros: UInt32

    public init(items: [Int64], logProbabilities: [Float], modelVersion: String, computeMicros: UInt32 = 0) {
        (self.items, self.logProbabilities, self.modelVersion, self.computeMicros) = (items, logProbabilities, modelVersion, computeMicros)
    }
}

/// Generator -> gateway.
public struct GenerateReply: Sendable, Equatable {
    public var requestID: UInt64
    public var result: Result<GeneratedItems, ServiceError>

    public init(requestID: UInt64, result: Result<GeneratedItems, ServiceError>) {
        (self.requestID, self.result) = (requestID, result)
    }
}

/// Encoder / scorer -> embedding-server.
public struct LookupRequest: Sendable, Equatable {
    public var header: RequestHeader
    public var ids: [Int64]
    /// Empty: the server's current version.
    public var modelVersion: String
    /// The caller widens rows itself: the server may reply in the table's compact row encoding.
    public var compact: Bool

    public init(header: RequestHeader, ids: [Int64], modelVersion: String = "", compact: Bool = false) {
        self.header = header
        self.ids = ids
        self.modelVersion = modelVersion
        self.compact = compact
    }
}

/// Embedding rows in the order they were asked for, each packed in `encoding` (f32 unless the
/// lookup was compact and the table has a compact row form).
public struct EmbeddingRows: Sendable, Equatable {
    public var modelVersion: String
    public var dim: Int
    public var encoding: RowEncoding
    /// `count × encoding.bytesPerRow(dim:)` bytes.
    public var packed: [UInt8]

    public init(modelVersion: String, dim: Int, encoding: RowEncoding, packed: [UInt8]) {
        (self.modelVersion, self.dim, self.encoding, self.packed) = (modelVersion, dim, encoding, packed)
    }

    /// f32 rows, `count x dim`.
    public init(modelVersion: String, dim: Int, rows: [Float]) {
        self.init(modelVersion: modelVersion, dim: dim, encoding: .f32, packed: rows.withUnsafeBytes { Array($0) })
    }

    public var bytesPerRow: Int { encoding.bytesPerRow(dim: dim) }
    public var count: Int { packed.count / max(bytesPerRow, 1) }

    /// Every row widened to f32, `count x dim`.
    public var rows: [Float] {
        var out = [Float](repeating: 0, count: count * dim)
        out.withUnsafeMutableBufferPointer { out in
            packed.withUnsafeBytes { bytes in
                for row in 0..<count {
                    encoding.decode(packed: bytes.baseAddress! + row * bytesPerRow, dim: dim, into: out.baseAddress! + row * dim)
                }
            }
        }
        return out
    }
}

/// Embedding-server -> encoder / scorer.
public struct LookupReply: Sendable, Equatable {
    public var requestID: UInt64
    public var result: Result<EmbeddingRows, ServiceError>

    public init(requestID: UInt64, result: Result<EmbeddingRows, ServiceError>) {
        self.requestID = requestID
        self.result = result
    }
}

/// Trainer -> embedding-server: gradients for item rows, `ids.count x dim`.
public struct PushRequest: Sendable, Equatable {
    public var header: RequestHeader
    public var ids: [Int64]
    public var gradients: [Float]
    /// The dense weights' gradient (layout order), for the server's shared Adam; empty: none.
    public var denseGradients: [Float] = []
    public var denseLearningRate: Float = 0
    /// Reply with the dense weights.
    public var wantDense = false
    /// Slipstream query (> 0): which hot rows changed less than this, relatively, since the last one.
    public var staleThreshold: Float = 0
    /// Share of rows (the most pushed) in the next hot-row snapshot.
    public var hotFraction: Float = 0

    public init(header: RequestHeader, ids: [Int64], gradients: [Float]) {
        self.header = header
        self.ids = ids
        self.gradients = gradients
    }
}

/// Embedding-server -> trainer: how many rows the update touched, and what the request asked for.
public struct PushReply: Sendable, Equatable {
    public var requestID: UInt64
    /// Rows applied, or why nothing was.
    public var result: Result<Int, ServiceError>
    public var modelVersion: String
    /// The dense weights, when asked for.
    public var dense: [Float] = []
    /// Dense updates applied so far, by every trainer.
    public var denseStep: UInt64 = 0
    /// Slipstream: hot rows that stopped changing.
    public var staleIDs: [Int64] = []
    public var hotRows = 0

    public init(requestID: UInt64, result: Result<Int, ServiceError>, modelVersion: String = "") {
        self.requestID = requestID
        self.result = result
        self.modelVersion = modelVersion
    }
}
