import ArgumentParser
import Foundation
import SuiteLauncher

/// `recctl export-onnx`: the model as one ONNX graph, written by `scripts/export_onnx.py` with the
/// `onnx` library (the reference implementation of the format) rather than by hand-rolled protobuf.
struct ExportONNX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-onnx",
        abstract: "Write a model file as ONNX (one graph for a whole request), to check RecServe against another engine.",
        discussion: """
            Inputs history_ids int64 [n] and candidate_ids int64 [m]; output logits float32 [m]. Runs \
            scripts/export_onnx.py with --python (which needs `pip install onnx numpy`; \
            scripts/bench-vs-onnxruntime.sh makes a virtual environment with them).
            """)

    @Option(help: "Model file (safetensors).")
    var model: String
    @Option(name: .shortAndLong, help: "Where to write the ONNX file.")
    var output: String
    @Option(help: "Python interpreter with the onnx and numpy packages.")
    var python = "python3"
    @Option(
        help: "The exporter script (default: scripts/export_onnx.py beside the repository's build folder, or in the working directory).")
    var script: String?

    func run() throws {
        // A build's binaries live in .build/<triple>/<configuration>/ under the repository.
        let beside = URL(fileURLWithPath: Supervisor.ownFolder + "/../../../scripts/export_onnx.py").standardized.path
        let candidates = [script, "scripts/export_onnx.py", beside].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("cannot find scripts/export_onnx.py; run from the repository or pass --script")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, found, model, output]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("the exporter failed (status \(process.terminationStatus)); does \(python) have `onnx` and `numpy`?")
        }
    }
}
