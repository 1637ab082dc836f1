/// Floating-point operations of one request as the amortized path runs it (a multiply-add is 2),
/// so benchmarks report achieved GFLOP/s instead of asserting speed.
///
/// Counts what the kernels compute, masked attention scores included (the GEMM computes them all).
public struct RequestCost: Sendable, Equatable {
    public var encode: Double
    public var score: Double
    public var total: Double { encode + score }
}

extension ModelConfig {
    public func cost(historyLength: Int, candidates: Int) -> RequestCost {
        let n = Double(min(historyLength, maxHistory))
        let m = Double(candidates)
        let (d, f, hh) = (Double(dim), Double(ffnDim), Double(headHidden))
        let fullLayers = Double(layers - 1)
        // History: every block but the last in full (Q, K, V, attention, output, FFN); the last
        // block only projects K and V.
        let historyBlock = 2 * n * d * d * 4 + 2 * n * n * d * 2 + 2 * n * d * f * 2
        let encode = fullLayers * historyBlock + 2 * n * d * d * 2
        // Candidates: Q, attention over n history rows, output, FFN in every block; then the head.
        let candidateBlock = 2 * m * d * d * 2 + 2 * m * n * d * 2 + 2 * m * d * f * 2
        let score = Double(layers) * candidateBlock + 2 * m * 3 * d * hh + 2 * m * hh
        return RequestCost(encode: encode, score: score)
    }
}
