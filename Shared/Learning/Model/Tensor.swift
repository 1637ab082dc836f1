import Glibc

/// A dense row-major f32 tensor in stable heap memory.
///
/// A class with a raw pointer (not `[Float]`) so kernels take pointers without nested closures and
/// weights never move. Serving treats tensors as immutable once loaded and shares them across
/// threads; code that mutates a tensor must own it exclusively.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutablePointer<Float>

    public init(shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        data = .allocate(capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "tensor of shape \(shape) needs \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit {
        data.deallocate()
    }

    public var rows: Int { shape.first ?? 1 }
    public var byteCount: Int { count * MemoryLayout<Float>.size }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public var array: [Float] { Array(buffer) }

    /// Pointer to row `index` of a 2-D tensor.
    public func row(_ index: Int) -> UnsafeMutablePointer<Float> {
        data + index * (count / rows)
    }
}
