import ArgumentParser
import Client
import Dispatch
import Foundation
import Wire
import ZeroMQ

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the whole suite locally on loopback and stop every child cleanly on Ctrl-C or SIGTERM.")

    @Option(help: "Model file (make one with `recctl init-model`).")
    var model: String
    @Option(help: "Scorer replicas.")
    var scorers = 2
    @Option(help: "History-encoder replicas.")
    var encoders = 1
    @Option(help: "Embedding-server shards.")
    var shards = 1
    @Option(help: "Host to bind every service to.")
    var host = "127.0.0.1"
    @Option(help: "Gateway client port; workers use port+1, embedding shards port+5 onwards.")
    var port = 5555
    @Option(help: "Folder holding the service executables (default: the folder recctl is in).")
    var binDir: String?
    @Option(help: "Log level passed to every service.")
    var logLevel = "info"

    func validate() throws {
        guard scorers >= 1, encoders >= 1, shards >= 1 else {
            throw ValidationError("--scorers, --encoders and --shards must be at least 1")
        }
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("model file \(model) does not exist; make one with `recctl init-model --output \(model)`")
        }
    }

    func run() async throws {
        let bin = binDir ?? Executables.ownFolder()
        let client = "tcp://\(host):\(port)"
        let workers = "tcp://\(host):\(port + 1)"
        let shardEndpoints = (0..<shards).map { "tcp://\(host):\(port + 5 + $0)" }
        let signals = TerminationSignals()
        let supervisor = Supervisor(binDir: bin)
        let log = ["--log-level", logLevel]
        do {
            for (index, endpoint) in shardEndpoints.enumerated() {
                try supervisor.start(
                    "embedding-server", name: "embedding-server[\(index)]",
                    ["--model", model, "--bind", endpoint, "--shard", "\(index)", "--shards", "\(shards)"] + log)
            }
            try supervisor.start("gateway", name: "gateway", ["--bind", client, "--workers-bind", workers] + log)
            let embedding = shardEndpoints.joined(separator: ",")
            for index in 0..<encoders {
                try supervisor.start(
                    "history-encoder", name: "history-encoder[\(index)]",
                    ["--model", model, "--gateway", workers, "--embedding", embedding] + log)
            }
            for index in 0..<scorers {
                try supervisor.start(
                    "scorer", name: "scorer[\(index)]", ["--model", model, "--gateway", workers, "--embedding", embedding] + log)
            }
        } catch {
            supervisor.stopAll()
            throw error
        }
        print("gateway          clients: \(client)   replicas register at: \(workers)")
        for (index, endpoint) in shardEndpoints.enumerated() { print("embedding-server shard \(index)/\(shards): \(endpoint)") }
        print("history-encoder  x\(encoders)   scorer x\(scorers)   (connected out to \(workers))")
        let started = Date()
        if await Readiness.wait(gateway: client, seconds: 60, unless: signals) {
            print(
                String(
                    format: "ready in %.1f s: try `recctl query --history 1,2,3 -k 5`; Ctrl-C stops everything",
                    Date().timeIntervalSince(started)))
        } else if !signals.hasFired {
            print("warning: the suite did not answer a probe query within 60 s; check the logs above")
        }
        let signalNumber = await signals.wait()
        print("received signal \(signalNumber), stopping children")
        supervisor.stopAll()
        print("stopped")
    }
}

/// Polls the gateway with a tiny real query until the whole path answers.
enum Readiness {
    static func wait(gateway: String, seconds: Double, unless signals: TerminationSignals) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let context = ZMQContext()
        while Date() < deadline && !signals.hasFired {
            if let client = try? GatewayClient(context: context, endpoint: gateway) {
                let probe = RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: "readiness-probe", history: [0], candidates: [0], k: 1)
                if let reply = try? client.recommend(probe, timeoutMilliseconds: 500), reply.error == nil { return true }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}

/// Catches SIGINT and SIGTERM from the moment it is made (the default actions are turned off, so
/// a signal during start-up is remembered instead of killing recctl and orphaning its children).
final class TerminationSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var waiter: CheckedContinuation<Int32, Never>?
    private var sources: [DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "signals")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.fire(number) }
            source.resume()
            sources.append(source)
        }
    }

    var hasFired: Bool { lock.withLock { received != nil } }

    private func fire(_ number: Int32) {
        let waiting: CheckedContinuation<Int32, Never>? = lock.withLock {
            guard received == nil else { return nil }
            received = number
            defer { waiter = nil }
            return waiter
        }
        waiting?.resume(returning: number)
    }

    /// Returns the first signal, waiting for it if none came yet.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already: Int32? = lock.withLock {
                if let received { return received }
                waiter = continuation
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}
