import Clients
import Model

extension PushClient {
    /// The dense weights shard 0 shares now (another trainer may have moved them already), checked
    /// to be `count` long; `fix` says what to do when they are not (which file to start the server from).
    func sharedDenseWeights(count: Int, what: String, fix: String) throws -> [Float] {
        let shared = try exchange([:], dense: .init(gradients: [], learningRate: 0, wantWeights: true)).get()
        guard shared.dense.count == count else {
            throw ModelError(.mismatch, "the server shares \(shared.dense.count) dense weights, \(what) has \(count): \(fix)")
        }
        return shared.dense
    }
}
