import Clocks

/// The broker's bookkeeping of workers, free of sockets and clocks so it is testable on its own.
///
/// Keeps the shape of the ZeroMQ guide's Majordomo broker (services, least-recently-used workers,
/// absolute heartbeat deadlines) and fixes its purge bug: expiry scans every worker, not only up to
/// the first live one. Time is passed in by the caller as a monotonic `Instant`.
public struct BrokerStateMachine {
    public typealias WorkerID = [UInt8]

    public struct Configuration: Sendable {
        /// How often each side sends a heartbeat when it has nothing else to say.
        public var heartbeat = WorkerProtocol.defaultHeartbeat
        /// Heartbeats missed before a worker is declared dead.
        public var liveness = WorkerProtocol.defaultLiveness

        public init() {}
        public var expiry: Duration { heartbeat * liveness }
    }

    struct Worker {
        let service: String
        let credits: Int
        var outstanding: Set<UInt64> = []
        var expiresAt: Instant
        /// When this worker was last given a job or last replied; the least recently used worker
        /// with a free credit gets the next job, which spreads load across replicas.
        var lastUsed: Instant
        /// The status its last heartbeat carried (opaque to the broker).
        var status: [UInt8]?
    }

    /// One registered worker, for operators' views.
    public struct WorkerSummary: Sendable, Equatable {
        public let id: WorkerID
        public let service: String
        public let credits: Int
        public let outstanding: Int
        public let status: [UInt8]?
    }

    /// What the I/O loop must do after an event.
    public enum Action: Equatable {
        /// Tell the worker to go away and register again (it spoke out of turn).
        case disconnect(WorkerID)
        /// These jobs were held by a worker that is gone; retry or fail them.
        case orphaned(tags: [UInt64], service: String)
        /// A reply for job `tag` arrived.
        case completed(tag: UInt64)
    }

    public let configuration: Configuration
    private var workers: [WorkerID: Worker] = [:]

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    // MARK: Events

    /// Handles one parsed message from a worker.
    public mutating func received(_ message: WorkerMessage, from id: WorkerID, now: Instant) -> [Action] {
        switch message {
        case .ready(let service, let credits):
            if workers[id] != nil {
                // READY from a registered worker is a protocol error; forget it and make it start over.
                return remove(id) + [.disconnect(id)]
            }
            workers[id] = Worker(
                service: service, credits: credits, expiresAt: now + configuration.expiry, lastUsed: now)
            return []
        case .reply(let tag, _):
            guard var worker = workers[id] else { return [.disconnect(id)] }
            worker.expiresAt = now + configuration.expiry
            guard worker.outstanding.remove(tag) != nil else {
                workers[id] = worker
                return []  // a reply we no longer wait for (request already answered): drop it
            }
            worker.lastUsed = now
            workers[id] = worker
            return [.completed(tag: tag)]
        case .heartbeat:
            guard workers[id] != nil else { return [.disconnect(id)] }
            workers[id]!.expiresAt = now + configuration.expiry
            return []
        case .statusHeartbeat(let status):
            guard workers[id] != nil else { return [.disconnect(id)] }
            workers[id]!.expiresAt = now + configuration.expiry
            workers[id]!.status = status
            return []
        case .disconnect:
            return remove(id)
        }
    }

    /// Removes every worker whose heartbeat deadline has passed (all of them, not just a prefix).
    public mutating func expire(now: Instant) -> [Action] {
        let dead = workers.filter { $0.value.expiresAt <= now }.map(\.key)
        return dead.flatMap { remove($0) }
    }

    // MARK: Dispatch

    /// Picks the worker for the next `service` job: one with a free credit, least recently used
    /// first; records the job against it. nil when every worker of the service is busy (or none live).
    public mutating func assign(tag: UInt64, service: String, now: Instant) -> WorkerID? {
        let candidates = workers.filter { $0.value.service == service && $0.value.outstanding.count < $0.value.credits }
        let chosen = candidates.min { a, b in
            a.value.lastUsed != b.value.lastUsed
                ? a.value.lastUsed < b.value.lastUsed : a.key.lexicographicallyPrecedes(b.key)
        }
        guard let id = chosen?.key else { return nil }
        workers[id]!.outstanding.insert(tag)
        workers[id]!.lastUsed = now
        return id
    }

    // MARK: Queries

    public func liveWorkers(service: String) -> Int {
        workers.values.filter { $0.service == service }.count
    }

    public func freeCredits(service: String) -> Int {
        workers.values.filter { $0.service == service }.reduce(0) { $0 + $1.credits - $1.outstanding.count }
    }

    public var allWorkers: [WorkerID] { Array(workers.keys) }

    /// Every registered worker, ordered by service then id.
    public var summaries: [WorkerSummary] {
        workers.map {
            WorkerSummary(
                id: $0.key, service: $0.value.service, credits: $0.value.credits, outstanding: $0.value.outstanding.count,
                status: $0.value.status)
        }.sorted { $0.service != $1.service ? $0.service < $1.service : $0.id.lexicographicallyPrecedes($1.id) }
    }

    // MARK: Private

    private mutating func remove(_ id: WorkerID) -> [Action] {
        guard let worker = workers.removeValue(forKey: id) else { return [] }
        return worker.outstanding.isEmpty ? [] : [.orphaned(tags: worker.outstanding.sorted(), service: worker.service)]
    }
}
