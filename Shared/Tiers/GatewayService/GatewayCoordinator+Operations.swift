import Broker
import Wire

/// Operating the gateway: the traffic split between model versions and what `recctl status` shows.
extension GatewayCoordinator {
    /// Replaces the split, if every version given traffic is held by every live encoder, scorer and
    /// generator (as their last heartbeats said; generators are optional); otherwise the split is
    /// left as it was.
    public mutating func setSplit(_ shares: [VersionShare]) -> ServiceError? {
        let split: TrafficSplit
        do { split = try TrafficSplit(shares) } catch { return error }
        for version in split.servingVersions {
            for service in configuration.services {
                let replicas = replicaInfo().filter { $0.service == service }
                if replicas.isEmpty && service == configuration.generatorService { continue }
                guard !replicas.isEmpty else {
                    return .unavailable("no live \(service) replica is registered; the split is unchanged")
                }
                let unreported = replicas.filter { $0.status == nil }.count
                if unreported > 0 {
                    return .unavailable(
                        "\(unreported) \(service) replicas have not reported their model versions yet (they do with each heartbeat); the split is unchanged, retry shortly"
                    )
                }
                let missing = replicas.filter { !($0.status?.versions.contains(version) ?? false) }
                if !missing.isEmpty {
                    let held = Set(replicas.flatMap { $0.status?.versions ?? [] }).sorted()
                    return ServiceError(
                        .modelVersionUnavailable,
                        "\(missing.count) of \(replicas.count) \(service) replicas do not hold \(version) (versions held: \(held.joined(separator: ", "))); the split is unchanged"
                    )
                }
            }
        }
        logger.notice(
            "traffic split changed",
            metadata: ["from": "\(VersionShare.describe(self.split.shares))", "to": "\(VersionShare.describe(split.shares))"])
        self.split = split
        return nil
    }

    /// Every registered replica with its last reported status.
    public func replicaInfo() -> [ReplicaInfo] {
        broker.summaries.map { worker in
            ReplicaInfo(
                service: worker.service, id: worker.id.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined(),
                credits: UInt32(clamping: worker.credits), outstanding: UInt32(clamping: worker.outstanding),
                status: worker.status.flatMap { bytes in bytes.withUnsafeBytes { try? ReplicaStatus(decoding: $0) } })
        }
    }
}
