import ArgumentParser
import EncoderService
import HistoryEncoding
import Model
import ReplicaRuntime
import ServiceRuntime

@main
struct HistoryEncoderCommand: AsyncParsableCommand {
    static func main() async {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        await mainWithEnvironment()
    }

    static let configuration = CommandConfiguration(
        commandName: "history-encoder",
        abstract: "RecServe's history encoder: runs the transformer over a user's history once and returns every layer's keys and values.",
        discussion: ServiceMain.environmentDiscussion)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Memory for the LRU cache of encoded histories, in MiB (a W1 history takes about 200 KB).")
    var cacheMegabytes = 256
    @Option(help: "Hot item rows cached per compute thread (history rows; 0 looks every row up).")
    var cacheRows = 200_000

    func run() async throws {
        let (dense, note) = DenseMode.available(DenseMode(rawValue: replica.dense)!)
        let replica = try Replica(service: "history-encoder", options: replica) {
            let file = try ModelFile.load(path: $0)
            return (file.config.version, SequenceModel(file: file, dense: dense))
        }
        if let note { replica.logger.warning("int8 dense layers not used", metadata: ["reason": "\(note)"]) }
        let config = replica.models.newest.value.config
        let cache = EncodingCache(megabytes: cacheMegabytes, maxHistory: config.maxHistory, layers: config.layers, dim: config.dim)
        replica.logger.info("encoding cache", metadata: ["megabytes": "\(cacheMegabytes)", "entries": "\(cache.capacity)"])
        replica.logger.info("kernels", metadata: ["choice": "\(CPU.current.kernelChoice)", "dense": "\(dense.rawValue)"])
        let cacheRows = self.cacheRows
        try await replica.run { context in
            EncoderHandler(
                models: context.models, embeddings: try context.embeddingClient(), cache: cache, limits: context.limits,
                cacheRows: cacheRows, metrics: context.metrics())
        }
    }
}
