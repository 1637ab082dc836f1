import ServiceRuntime

extension WorkerConfiguration {
    /// The configuration a replica's command-line flags describe.
    public init(service: String, options: ReplicaOptions) throws {
        self.init(brokerEndpoint: Endpoint.normalize(options.gateway), service: service)
        threads = max(1, options.threads)
        heartbeatMilliseconds = options.heartbeatMs
        healthFile = options.healthFile
        curve = try options.gatewayCurve()
    }
}
