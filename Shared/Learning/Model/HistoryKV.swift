/// Every layer's keys and values for one encoded history: what candidates attend to.
///
/// Layout: `layers x length x dim` floats each, layer-major (the wire's EncodedHistory layout).
public struct HistoryKV: Sendable, Equatable {
    public var layers: Int
    public var length: Int
    public var dim: Int
    public var keys: [Float]
    public var values: [Float]

    public init(layers: Int, length: Int, dim: Int, keys: [Float], values: [Float]) {
        precondition(keys.count == layers * length * dim && values.count == keys.count, "history KV shape mismatch")
        self.layers = layers
        self.length = length
        self.dim = dim
        self.keys = keys
        self.values = values
    }
}
