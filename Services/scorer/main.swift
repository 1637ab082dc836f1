import ArgumentParser
import HistoryEncoding
import Model
import ReplicaRuntime
import ScorerService
import ServiceRuntime

@main
struct ScorerCommand: AsyncParsableCommand {
    static func main() async {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        await mainWithEnvironment()
    }

    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "RecServe's candidate scorer: scores candidate slices against an encoded history; stateless, scale it out.",
        discussion: ServiceMain.environmentDiscussion)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Hot item rows cached per compute thread.")
    var cacheRows = 200_000
    @Option(
        help:
            "Memory for the LRU cache of histories this scorer encodes itself (requests the gateway sends as one slice), in MiB."
    )
    var cacheMegabytes = 64
    @Option(help: "Candidates per matrix-matrix pass through the blocks.")
    var microBatch = 256

    func run() async throws {
        let microBatch = self.microBatch
        let (dense, note) = DenseMode.available(DenseMode(rawValue: replica.dense)!)
        let replica = try Replica(service: "scorer", options: replica) {
            let file = try ModelFile.load(path: $0)
            return (file.config.version, SequenceModel(file: file, microBatch: microBatch, dense: dense))
        }
        if let note { replica.logger.warning("int8 dense layers not used", metadata: ["reason": "\(note)"]) }
        let cacheRows = self.cacheRows
        let config = replica.models.newest.value.config
        let encodings = EncodingCache(megabytes: cacheMegabytes, maxHistory: config.maxHistory, layers: config.layers, dim: config.dim)
        replica.logger.info("encoding cache", metadata: ["megabytes": "\(cacheMegabytes)", "entries": "\(encodings.capacity)"])
        replica.logger.info("kernels", metadata: ["choice": "\(CPU.current.kernelChoice)", "dense": "\(dense.rawValue)"])
        try await replica.run { context in
            ScorerHandler(
                models: context.models, embeddings: try context.embeddingClient(), limits: context.limits, cacheRows: cacheRows,
                encodings: encodings, metrics: context.metrics())
        }
    }
}
