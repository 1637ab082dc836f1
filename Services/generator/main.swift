import ArgumentParser
import GeneratorService
import Model
import ReplicaRuntime
import ServiceRuntime

@main
struct GeneratorCommand: AsyncParsableCommand {
    static func main() async {
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        await mainWithEnvironment()
    }

    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract:
            "RecServe's generator: beam search over semantic IDs against an encoded history (generative retrieval); stateless, scale it out.",
        discussion: ServiceMain.environmentDiscussion)

    @OptionGroup var replica: ReplicaOptions
    @Option(help: "Largest beam a request may ask for (wider ones get BAD_REQUEST).")
    var maxBeam = 512

    func validate() throws {
        guard maxBeam >= 1 else { throw ValidationError("--max-beam must be at least 1") }
    }

    func run() async throws {
        let replica = try Replica(service: "generator", options: replica) { path in
            let file = try ModelFile.load(path: path, semanticIDs: true)
            return (file.config.version, GeneratorModel(file: file, path: path))
        }
        let newest = replica.models.newest.value
        if newest.generator == nil {
            replica.logger.warning(
                "no generator in the model: generation requests will be answered with an error", metadata: ["reason": "\(newest.missing)"])
        }
        replica.logger.info("kernels", metadata: ["choice": "\(CPU.current.kernelChoice)"])
        let maxBeam = self.maxBeam
        try await replica.run { context in
            GeneratorHandler(models: context.models, limits: context.limits, maxBeam: maxBeam, metrics: context.metrics())
        }
    }
}
