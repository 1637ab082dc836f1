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
        guard scorers >= 1, encoders >= 1, shards >= 1 else { throw ValidationError("--scorers, --encoders and --shards must be at least 1") }
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("model file \(model) does not exist; make one with `recctl init-model --output \(model)`")
        }
    }

    func run() async throws {
        let bin = binDir ?? Executables.ownFolder()
        let client = "tcp://\(host):\(port)"
        let workers = "tcp://\(host):\(port + 1)"
        let shardEndpoints = (0..<shards).map { "tcp://\(host):\(port + 5 + $0)" }
        let supervisor = Supervisor(binDir: bin)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
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
        if await Readiness.wait(gateway: client, seconds: 60) {
            print(String(format: "ready in %.1f s: try `recctl query --history 1,2,3 -k 5`; Ctrl-C stops everything", Date().timeIntervalSince(started)))
        } else {
            print("warning: the suite did not answer a probe query within 60 s; check the logs above")
        }
        let signalNumber = await Signals.waitForTermination()
        print("received signal \(signalNumber), stopping children")
        supervisor.stopAll()
        print("stopped")
    }
}

/// Polls the gateway with a tiny real query until the whole path answers.
enum Readiness {
    static func wait(gateway: String, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let context = ZMQContext()
        while Date() < deadline {
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

/// Waits for SIGINT or SIGTERM (both must be ignored first so the default action does not kill us).
enum Signals {
    static func waitForTermination() async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "signals")
            let fired = SignalLatch()
            var sources: [DispatchSourceSignal] = []
            for number in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if fired.claim() {
                        continuation.resume(returning: number)
                    }
                }
                source.resume()
                sources.append(source)
            }
            // Keep the sources alive for the life of the process.
            SignalLatch.keep(sources)
        }
    }
}

final class SignalLatch: @unchecked Sendable {
    private var claimed = false
    private let lock = NSLock()
    nonisolated(unsafe) private static var kept: [DispatchSourceSignal] = []

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }

    static func keep(_ sources: [DispatchSourceSignal]) { kept = sources }
}
