import Foundation
import Model
import SuiteLauncher
import ZeroMQ

/// The real RecServe executables running on loopback, for multi-process tests.
///
/// Launched as `recctl up` launches them (the same `SuitePlan` and `Supervisor`), from the folder
/// of the test binary (the test target depends on the executables, so the build made them), each
/// on a free port, each logging to a file whose tail is shown when something fails.
public final class ServiceCluster {
    public let gateway: String
    public let workers: String
    public let admin: String
    public let embedding: String
    public let modelPath: String
    private let logDirectory: URL
    private let supervisor: Supervisor

    /// `replicaArguments` go to the encoder and scorers, `embeddingArguments` to the embedding-server.
    public convenience init(
        model: ModelFile, scorers: Int, gatewayArguments: [String] = [], replicaArguments: [String] = [],
        encoderArguments: [String] = [], embeddingArguments: [String] = [], metricsBinds: [String] = [], generators: Int = 0
    ) throws {
        try self.init(model: model)
        var plan = SuitePlan(model: modelPath)
        (plan.gatewayClients, plan.gatewayWorkers, plan.embeddingShards) = (gateway, workers, [embedding])
        plan.gatewayAdmin = admin
        (plan.scorers, plan.generators, plan.logLevel) = (scorers, generators, "warning")
        (plan.gatewayArguments, plan.replicaArguments) = (gatewayArguments, replicaArguments)
        (plan.encoderArguments, plan.embeddingArguments) = (encoderArguments, embeddingArguments)
        plan.metricsBinds = metricsBinds
        try supervisor.start(plan)
    }

    /// The scratch folder, the model file and the ports, with nothing started: for tests that start
    /// (and kill and restart) services themselves.
    public init(model: ModelFile) throws {
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "recserve-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        modelPath = logDirectory.appendingPathComponent("model.safetensors").path
        try model.save(path: modelPath)
        let ports = try FreePorts.take(4)
        gateway = "tcp://127.0.0.1:\(ports[0])"
        workers = "tcp://127.0.0.1:\(ports[1])"
        embedding = "tcp://127.0.0.1:\(ports[2])"
        admin = "tcp://127.0.0.1:\(ports[3])"
        supervisor = Supervisor(binDirectory: Supervisor.ownFolder, logDirectory: logDirectory.path) { _, _ in }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logDirectory)
    }

    public func start(_ executable: String, name: String? = nil, _ arguments: [String]) throws {
        try supervisor.start(SuitePlan.Process(executable: executable, name: name ?? executable, arguments: arguments))
    }

    public func isRunning(_ name: String) -> Bool { supervisor.isRunning(name) }
    public var names: [String] { supervisor.names.sorted() }

    public func kill(_ name: String, signal: Int32 = SIGKILL) { supervisor.kill(name, signal: signal) }

    /// SIGTERM to everyone, SIGKILL to anyone still there after 5 s.
    public func stop() { supervisor.stopAll() }

    /// A scratch folder that lives as long as the cluster (for key files and the like).
    public var directory: String { logDirectory.path }

    /// The whole log of one service.
    public func log(_ name: String) -> String {
        (try? String(contentsOf: logDirectory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// The last lines of every service's log, for failure messages.
    public func logs() -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: logDirectory.path)) ?? []
        return files.filter { $0.hasSuffix(".log") }.sorted().map { file in
            let name = String(file.dropLast(4))
            return "--- \(name)\n" + log(name).split(separator: "\n").suffix(15).joined(separator: "\n")
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
