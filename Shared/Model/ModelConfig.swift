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
        guard itemCount > 0 else { throw ModelError("itemCount must be positive, got \(itemCount)") }
        guard dim > 0, heads > 0, dim % heads == 0 else {
            throw ModelError("dim (\(dim)) must be a positive multiple of heads (\(heads))")
        }
        guard layers > 0, ffnDim > 0, headHidden > 0, maxHistory > 0 else {
            throw ModelError("layers, ffnDim, headHidden and maxHistory must be positive")
        }
    }

    public var description: String {
        "items=\(itemCount) d=\(dim) heads=\(heads) layers=\(layers) ffn=\(ffnDim) maxHistory=\(maxHistory) version=\(version)"
    }

    // MARK: Metadata form (safetensors `__metadata__`: string to string)

    var metadata: [String: String] {
        [
            "recserve.format": "1", "items": String(itemCount), "dim": String(dim), "heads": String(heads),
            "layers": String(layers), "ffn_dim": String(ffnDim), "head_hidden": String(headHidden),
            "max_history": String(maxHistory), "version": version,
        ]
    }

    init(metadata: [String: String], path: String) throws(ModelError) {
        func int(_ key: String) throws(ModelError) -> Int {
            guard let text = metadata[key], let value = Int(text) else {
                throw ModelError("\(path): metadata key '\(key)' is missing or not an integer; is this a RecServe model file?")
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
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
