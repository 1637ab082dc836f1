/// The shape of a model (DESIGN.md "Model (v1)") plus its version; stored in the model file's metadata.
public struct ModelConfig: Sendable, Equatable, CustomStringConvertible {
    public var itemCount: Int
    public var dim: Int
    public var heads: Int
    public var layers: Int
    public var ffnDim: Int
    /// Width of the scoring head's hidden layer.
    public var headHidden: Int
    /// L_max: histories are truncated to their most recent `maxHistory` items.
    public var maxHistory: Int
    /// Identifies the weights; replies carry it so clients know which model answered.
    public var version: String

    public init(
        itemCount: Int, dim: Int = 64, heads: Int = 2, layers: Int = 2, ffnDim: Int? = nil, headHidden: Int? = nil,
        maxHistory: Int = 200, version: String = "v1"
    ) {
        self.itemCount = itemCount
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.ffnDim = ffnDim ?? 4 * dim
        self.headHidden = headHidden ?? dim
        self.maxHistory = maxHistory
        self.version = version
    }

    public var headDim: Int { dim / heads }

    /// Checks the shape is usable, with a message that says which field is wrong.
    public func validate() throws(ModelError) {
        guard itemCount > 0 else { throw ModelError(.invalidConfig, "itemCount must be positive, got \(itemCount)") }
        guard dim > 0, heads > 0, dim % heads == 0 else {
            throw ModelError(.invalidConfig, "dim (\(dim)) must be a positive multiple of heads (\(heads))")
        }
        guard layers > 0, ffnDim > 0, headHidden > 0, maxHistory > 0 else {
            throw ModelError(.invalidConfig, "layers, ffnDim, headHidden and maxHistory must be positive")
        }
    }

    public var description: String {
        "items=\(itemCount) d=\(dim) heads=\(heads) layers=\(layers) ffn=\(ffnDim) maxHistory=\(maxHistory) version=\(version)"
    }

    // MARK: Metadata form (safetensors `__metadata__`: string to string)

    public var metadata: [String: String] {
        [
            "recserve.format": "1", "items": String(itemCount), "dim": String(dim), "heads": String(heads),
            "layers": String(layers), "ffn_dim": String(ffnDim), "head_hidden": String(headHidden),
            "max_history": String(maxHistory), "version": version,
        ]
    }

    init(metadata: [String: String], path: String) throws(ModelError) {
        func int(_ key: String) throws(ModelError) -> Int {
            guard let text = metadata[key], let value = Int(text) else {
                throw ModelError(.corrupt, "\(path): metadata key '\(key)' is missing or not an integer; is this a RecServe model file?")
            }
            return value
        }
        self.init(
            itemCount: try int("items"), dim: try int("dim"), heads: try int("heads"), layers: try int("layers"),
            ffnDim: try int("ffn_dim"), headHidden: try int("head_hidden"), maxHistory: try int("max_history"),
            version: metadata["version"] ?? "unversioned")
        try validate()
    }
}

/// A model that cannot be built, loaded or saved; the message names the file and what was wrong.
/// A model that cannot be used: what kind of problem, and a message naming the file or setting.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// Sizes that do not make a model (zero items, width not a multiple of heads, …).
        case invalidConfig
        /// The file cannot be opened, read or written.
        case io
        /// The file is not a RecServe safetensors model, or is damaged.
        case corrupt
        /// A valid file this build does not support (a dtype, a format version).
        case unsupported
        /// The file does not fit what it is used with (another catalog, another shape).
        case mismatch
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
