import Foundation
import Model
import ZeroMQ

/// The real RecServe executables running on loopback, for multi-process tests.
///
/// Finds the executables next to the test binary (the test target depends on them, so the build
/// made them), gives each service a free port, and sends each one's log to a file whose tail is
/// shown when something fails.
public final class ServiceCluster {
    public let gateway: String
    public let workers: String
    public let embedding: String
    public let modelPath: String
    private let logDirectory: URL
    private var processes: [String: Process] = [:]

    /// `replicaArguments` go to the encoder and scorers, `embeddingArguments` to the embedding-server.
    public convenience init(
        model: ModelFile, scorers: Int, gatewayArguments: [String] = [], replicaArguments: [String] = [],
        encoderArguments: [String] = [], embeddingArguments: [String] = []
    ) throws {
        try self.init(model: model)
        let quiet = ["--log-level", "warning"]
        try start("embedding-server", ["--model", modelPath, "--bind", embedding] + embeddingArguments + quiet)
        try start("gateway", ["--bind", gateway, "--workers-bind", workers] + gatewayArguments + quiet)
        try start(
            "history-encoder",
            ["--model", modelPath, "--gateway", workers, "--embedding", embedding] + replicaArguments + encoderArguments + quiet)
        for index in 0..<scorers {
            try start(
                "scorer", name: "scorer-\(index)",
                ["--model", modelPath, "--gateway", workers, "--embedding", embedding] + replicaArguments + quiet)
        }
    }

    /// The scratch folder, the model file and the ports, with nothing started: for tests that start
    /// (and kill and restart) services themselves.
    public init(model: ModelFile) throws {
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "recserve-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        modelPath = logDirectory.appendingPathComponent("model.safetensors").path
        try model.save(path: modelPath)
        let ports = try FreePorts.take(3)
        gateway = "tcp://127.0.0.1:\(ports[0])"
        workers = "tcp://127.0.0.1:\(ports[1])"
        embedding = "tcp://127.0.0.1:\(ports[2])"
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logDirectory)
    }

    public static var binDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }

    public func start(_ executable: String, name: String? = nil, _ arguments: [String]) throws {
        let name = name ?? executable
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binDirectory + "/" + executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let log = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = process.standardError
        try process.run()
        processes[name] = process
        ChildProcesses.shared.add(process.processIdentifier)
    }

    public func isRunning(_ name: String) -> Bool { processes[name]?.isRunning ?? false }
    public var names: [String] { processes.keys.sorted() }

    public func kill(_ name: String, signal: Int32 = SIGKILL) {
        guard let process = processes[name] else { return }
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// SIGTERM to everyone, SIGKILL to anyone still there after 5 s.
    public func stop() {
        for process in processes.values where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        for process in processes.values {
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        }
        processes.removeAll()
    }

    /// A scratch folder that lives as long as the cluster (for key files and the like).
    public var directory: String { logDirectory.path }

    /// The whole log of one service.
    public func log(_ name: String) -> String {
        (try? String(contentsOf: logDirectory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// The last lines of every service's log, for failure messages.
    public func logs() -> String {
        names.map { name in
            let text = (try? String(contentsOf: logDirectory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
            return "--- \(name)\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// Loopback ports nobody is listening on (bound by the OS, then released together).
public enum FreePorts {
    public static func take(_ count: Int) throws -> [Int] {
        let context = ZMQContext()
        var sockets: [Socket] = []
        for _ in 0..<count {
            let socket = try Socket(context, .router)
            try socket.bind("tcp://127.0.0.1:*")
            sockets.append(socket)
        }
        return sockets.map { Int($0.lastEndpoint.split(separator: ":").last!)! }
    }
}

/// Every service process the tests start, killed when the test process exits, so a test that ends
/// without its cluster's deinit (seen once: an orphaned gateway and embedding-server) leaves nothing.
final class ChildProcesses: @unchecked Sendable {
    static let shared = ChildProcesses()
    private let lock = NSLock()
    private var pids: [pid_t] = []

    private init() {
        atexit {
            for pid in ChildProcesses.shared.all { Glibc.kill(pid, SIGKILL) }
        }
    }

    func add(_ pid: pid_t) { lock.withLock { pids.append(pid) } }
    var all: [pid_t] { lock.withLock { pids } }
}
