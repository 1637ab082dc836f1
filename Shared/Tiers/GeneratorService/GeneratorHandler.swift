import Clocks
import Generative
import Model
import ReplicaRuntime
import ServiceRuntime
import Wire

/// A model version as the generator tier holds it: its decoder, or why it has none (the tier
/// still starts and serves, answering generation requests with that reason).
public struct GeneratorModel: Sendable {
    public let generator: Generator?
    public let missing: String

    public init(file: ModelFile, path: String) {
        if let ids = file.semanticIDs, let weights = file.generator {
            generator = Generator(config: file.config, weights: weights, ids: ids)
            missing = ""
        } else {
            generator = nil
            missing =
                file.semanticIDs == nil
                ? "\(path) (version \(file.config.version)) has no semantic IDs; train a generator for it with scripts/train-generator.sh"
                : "\(path) (version \(file.config.version)) has semantic IDs but no trained generator; train one with scripts/train-generator.sh"
        }
    }
}

/// The generator's request handler: beam search over semantic IDs against the shipped history
/// keys and values, up to `beam` distinct items with their log-probabilities.
public final class GeneratorHandler: RequestHandler {
    let models: VersionRegistry<GeneratorModel>
    let limits: Limits
    let maxBeam: Int
    private let metrics: ReplicaMetrics

    public init(models: VersionRegistry<GeneratorModel>, limits: Limits, maxBeam: Int, metrics: ReplicaMetrics = .off(service: "generator"))
    {
        (self.models, self.limits, self.maxBeam, self.metrics) = (models, limits, maxBeam, metrics)
    }

    public func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        let started = Instant.now
        let request: GenerateRequest
        switch RequestPreamble.open(payload, as: GenerateRequest.self, limits: limits, stage: "items were generated") {
        case .failure(let rejection): return failure(rejection.requestID, rejection.error)
        case .success(let decoded): request = decoded
        }
        let id = request.header.requestID
        guard request.beam >= 1, request.beam <= maxBeam else {
            return failure(id, .badRequest("beam \(request.beam) is outside 1...\(maxBeam) (generator --max-beam)"))
        }
        let version = request.history.modelVersion
        guard let model = models.entry(version)?.value else {
            return failure(id, .versionUnavailable(version, held: models.versions))
        }
        guard let generator = model.generator else { return failure(id, ServiceError(.unavailable, model.missing)) }
        let history = request.history
        guard history.layers == generator.config.layers, history.dim == generator.config.dim, history.length >= 1,
            history.length <= generator.config.maxHistory
        else {
            return failure(
                id, .badRequest("encoded history shape \(history.layers)x\(history.length)x\(history.dim) does not fit this model"))
        }
        let kv = HistoryKV(layers: history.layers, length: history.length, dim: history.dim, keys: history.keys, values: history.values)
        let generated = generator.beamSearch(history: kv, width: Int(request.beam))
        metrics.succeeded(version: version, duration: started.elapsed)
        let items = GeneratedItems(
            items: generated.map { Int64($0.item) }, logProbabilities: generated.map(\.logProbability), modelVersion: version,
            computeMicros: started.elapsed.wireMicros)
        return GenerateReply(requestID: id, result: .success(items)).encoded()
    }

    private func failure(_ requestID: UInt64, _ error: ServiceError) -> [UInt8] {
        metrics.failed(error.code)
        return GenerateReply(requestID: requestID, result: .failure(error)).encoded()
    }
}
