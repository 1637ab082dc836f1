import ArgumentParser
@preconcurrency import Glibc
import Model

@main
struct Recctl: AsyncParsableCommand {
    static func main() async {
        // Line-buffered stdout, so progress shows up promptly when piped to a file or another tool.
        setvbuf(stdout, nil, _IOLBF, 0)
        Kernels.reexecWithSingleThreadedBLASIfNeeded()
        await main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "recctl",
        abstract: "RecServe's operator CLI: run the suite locally, query it, benchmark it, make models.",
        subcommands: [
            InitModel.self, Compress.self, Up.self, Query.self, Status.self, Rollout.self, Bench.self, BenchModel.self, BenchPush.self,
            Health.self, BenchLookup.self,
            Eval.self, Keys.self, SemanticIDsCommand.self,
            ExportONNX.self,
        ])
}
