import Clocks
import Wire
import ZeroMQ

/// The gateway's admin endpoint: answers `recctl status` with the broker's view and recent
/// outcomes, and `recctl rollout` by changing the traffic split. Owned by the gateway's loop.
struct Operations {
    let started: Instant
    var recent = RecentOutcomes()

    init(started: Instant) { self.started = started }

    /// The reply bytes for one admin message.
    mutating func answer(_ body: [Frame], coordinator: inout GatewayCoordinator, metrics: GatewayMetrics, now: Instant) -> [UInt8] {
        guard body.count == 1 else {
            return AdminReply(requestID: 0, result: .failure(.badRequest("expected 1 frame (an AdminRequest), got \(body.count)")))
                .encoded()
        }
        let request: AdminRequest
        do {
            request = try body[0].withUnsafeBytes { try AdminRequest(decoding: $0) }
        } catch {
            return AdminReply(requestID: 0, result: .failure(ServiceError(error))).encoded()
        }
        if case .setSplit(let shares) = request.command {
            if let error = coordinator.setSplit(shares) {
                return AdminReply(requestID: request.requestID, result: .failure(error)).encoded()
            }
            metrics.recordSplit(coordinator.split)
        }
        return AdminReply(requestID: request.requestID, result: .success(status(coordinator, now: now))).encoded()
    }

    func status(_ coordinator: GatewayCoordinator, now: Instant) -> GatewayStatus {
        var status = GatewayStatus()
        status.replicas = coordinator.replicaInfo()
        status.split = coordinator.split.shares
        status.windowSeconds = Double(recent.seconds)
        status.window = recent.stats(now: now)
        status.pendingRequests = UInt32(clamping: coordinator.pendingRequests)
        status.requestsTotal = recent.total
        status.uptimeSeconds = Double((now - started).milliseconds) / 1_000
        return status
    }
}
