import ServiceRuntime

/// Which processes make up a local suite and the command line of each, in start order: embedding
/// shards, the gateway, encoders, scorers, generators. `recctl up` and the multi-process tests launch the
/// same plan, so the tests run the suite the way users start it.
public struct SuitePlan: Sendable {
    /// One child process to start.
    public struct Process: Sendable, Equatable {
        public var executable: String
        public var name: String
        public var arguments: [String]

        public init(executable: String, name: String, arguments: [String]) {
            self.executable = executable
            self.name = name
            self.arguments = arguments
        }
    }

    public var model: String
    public var gatewayClients = DefaultEndpoints.gatewayClients()
    public var gatewayWorkers = DefaultEndpoints.gatewayWorkers()
    public var gatewayAdmin = DefaultEndpoints.gatewayAdmin()
    /// One endpoint per embedding shard, in shard order.
    public var embeddingShards = [DefaultEndpoints.embedding()]
    public var encoders = 1
    public var scorers = 2
    /// Generator replicas (generative retrieval; they need a model with a trained generator).
    public var generators = 0
    public var logLevel = "info"
    public var gatewayArguments: [String] = []
    /// Given to the encoders, the scorers and the generators.
    public var replicaArguments: [String] = []
    public var encoderArguments: [String] = []
    public var embeddingArguments: [String] = []
    /// `--metrics-bind` of each process, in `processes` order (empty: metrics off).
    public var metricsBinds: [String] = []

    public init(model: String) { self.model = model }

    /// Every endpoint laid out from one gateway port (`DefaultEndpoints`' offsets).
    public init(model: String, host: String, port: Int, shards: Int) {
        self.model = model
        gatewayClients = DefaultEndpoints.gatewayClients(host: host, port: port)
        gatewayWorkers = DefaultEndpoints.gatewayWorkers(host: host, port: port)
        gatewayAdmin = DefaultEndpoints.gatewayAdmin(host: host, port: port)
        embeddingShards = (0..<shards).map { DefaultEndpoints.embedding(shard: $0, host: host, port: port) }
    }

    /// Replicas the plan starts, by the service each registers as at the gateway (a replica
    /// registers under its executable's name).
    public var replicasByService: [String: Int] { ["history-encoder": encoders, "scorer": scorers, "generator": generators] }

    /// How many processes the plan starts.
    public var processCount: Int { embeddingShards.count + 1 + encoders + scorers + generators }

    public var processes: [Process] {
        let log = ["--log-level", logLevel]
        let shards = embeddingShards.count
        var processes = embeddingShards.enumerated().map { index, endpoint in
            Process(
                executable: "embedding-server", name: shards == 1 ? "embedding-server" : "embedding-server-\(index)",
                arguments: ["--model", model, "--bind", endpoint, "--shard", "\(index)", "--shards", "\(shards)"] + embeddingArguments + log
            )
        }
        processes.append(
            Process(
                executable: "gateway", name: "gateway",
                arguments: ["--bind", gatewayClients, "--workers-bind", gatewayWorkers, "--admin-bind", gatewayAdmin]
                    + gatewayArguments + log))
        let replica = ["--model", model, "--gateway", gatewayWorkers, "--embedding", embeddingShards.joined(separator: ",")]
        for index in 0..<encoders {
            processes.append(
                Process(
                    executable: "history-encoder", name: encoders == 1 ? "history-encoder" : "history-encoder-\(index)",
                    arguments: replica + replicaArguments + encoderArguments + log))
        }
        for index in 0..<scorers {
            processes.append(Process(executable: "scorer", name: "scorer-\(index)", arguments: replica + replicaArguments + log))
        }
        for index in 0..<generators {
            processes.append(
                Process(
                    executable: "generator", name: "generator-\(index)",
                    arguments: ["--model", model, "--gateway", gatewayWorkers] + replicaArguments + log))
        }
        for (index, bind) in zip(processes.indices, metricsBinds) { processes[index].arguments += ["--metrics-bind", bind] }
        return processes
    }
}
