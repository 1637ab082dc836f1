import Broker
import Clocks
import Logging
import ServiceRuntime
import Wire
import ZeroMQ

/// The gateway's brain: registers replicas, turns each Recommend into one encode and several
/// scorer slices, retries work whose replica died, enforces deadlines and admission limits.
///
/// It owns no sockets and reads no clock: events come in with `now` (both clocks, read once by the
/// I/O loop) and it returns the actions the I/O loop must perform, so every path, deadlines
/// included, is testable without a network or a sleep.
public struct GatewayCoordinator {
    let configuration: GatewayConfiguration
    let logger: Logger
    var broker: BrokerStateMachine
    var requests: [UInt64: PendingRequest] = [:]
    var jobs: [UInt64: Job] = [:]
    /// Jobs waiting for a free worker, per service, oldest first.
    var waiting: [String: [UInt64]] = [:]
    var nextKey: UInt64 = 1
    var nextHeartbeatAt: Instant?
    var degradedAnswers: DegradedAnswers?
    /// Which model version each user's requests go to (changed at run time by `setSplit`).
    public internal(set) var split: TrafficSplit

    public init(configuration: GatewayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        split = configuration.split
        broker = BrokerStateMachine(configuration: configuration.broker)
        if configuration.degradedAnswerUsers > 0 { degradedAnswers = DegradedAnswers(capacity: configuration.degradedAnswerUsers) }
    }

    public var pendingRequests: Int { requests.count }
    public func liveWorkers(service: String) -> Int { broker.liveWorkers(service: service) }
    public func freeCredits(service: String) -> Int { broker.freeCredits(service: service) }
    public func queuedJobs(service: String) -> Int { waiting[service]?.count ?? 0 }

    // MARK: Client side

    /// A client sent `body` frames.
    public mutating func clientMessage(_ body: [Frame], from client: ClientAddress, now: Moment) -> [GatewayAction] {
        guard body.count == 1 else {
            return [reject(client, 0, .badRequest("expected 1 frame (a RecommendRequest), got \(body.count)"))]
        }
        if let problem = configuration.limits.checkMessage(bytes: body[0].count) { return [reject(client, 0, problem)] }
        let request: RecommendRequest
        do {
            request = try body[0].withUnsafeBytes { try RecommendRequest(decoding: $0) }
        } catch {
            return [reject(client, 0, ServiceError(error))]
        }
        return accept(request, from: client, now: now)
    }

    mutating func accept(_ request: RecommendRequest, from client: ClientAddress, now: Moment) -> [GatewayAction] {
        var request = request
        request.candidates = RequestValidation.distinct(request.candidates)
        let id = request.header.requestID
        if let deadline = request.header.deadline, deadline.hasPassed(at: now.wall) {
            return [reject(client, id, .deadlineExceeded("deadline had already passed when the gateway received the request"))]
        }
        if let problem = RequestValidation.check(request, limits: configuration.limits, maxBeam: configuration.maxBeam) {
            return [reject(client, id, problem)]
        }
        guard requests.count < configuration.maxPendingRequests else {
            let error = ServiceError(
                .overloaded, "gateway has \(requests.count) requests in flight, its limit (--max-pending); retry with backoff")
            return [overloaded(request, client, error)]
        }
        if let error = fairShareExceeded(client: client, userID: request.userID) { return [overloaded(request, client, error)] }
        let inOneHop = configuration.singleSliceInOneHop && !request.candidates.isEmpty && sliceCount(request.candidates.count) == 1
        var services = inOneHop ? [configuration.scorerService] : [configuration.encoderService, configuration.scorerService]
        if request.retrieval == .generative { services.append(configuration.generatorService) }
        for service in services {
            guard broker.liveWorkers(service: service) > 0 else {
                return [reject(client, id, .unavailable("no live \(service) replica is registered"))]
            }
        }
        let latest = Deadline.after(configuration.maxDeadline, from: now.wall)
        let given = request.header.deadline ?? .after(configuration.defaultDeadline, from: now.wall)
        let key = nextKey
        nextKey += 1
        requests[key] = PendingRequest(
            client: client, request: request, deadline: min(given, latest), started: now.instant)
        let header = RequestHeader(requestID: id, deadline: requests[key]!.deadline)
        let raw = RawHistory(userID: request.userID, items: request.history, modelVersion: split.version(for: request.userID))
        if inOneHop { return scoreInOneHop(key, raw: raw, now: now) }
        let encode = EncodeRequest(header: header, userID: raw.userID, history: raw.items, modelVersion: raw.modelVersion)
        return submit(Job(requestKey: key, kind: .encode, service: configuration.encoderService, payload: encode.encoded()), now: now)
    }

    /// The per-connection and per-user limits, so no client can take every slot. Counted from the
    /// pending requests themselves (at most `maxPendingRequests`), so no count can drift.
    func fairShareExceeded(client: ClientAddress, userID: String) -> ServiceError? {
        var (byClient, byUser) = (0, 0)
        for pending in requests.values {
            if pending.client == client { byClient += 1 }
            if pending.request.userID == userID { byUser += 1 }
        }
        if byClient >= configuration.maxPendingPerClient {
            return ServiceError(
                .overloaded,
                "this connection has \(byClient) requests in flight, its limit (gateway --max-pending-per-client \(configuration.maxPendingPerClient)); read replies before sending more"
            )
        }
        if byUser >= configuration.maxPendingPerUser {
            return ServiceError(
                .overloaded,
                "user '\(userID)' has \(byUser) requests in flight, the per-user limit (gateway --max-pending-per-user \(configuration.maxPendingPerUser))"
            )
        }
        return nil
    }

    // MARK: Worker side

    /// A worker sent `body` frames (identity removed).
    public mutating func workerMessage(_ body: [Frame], from worker: BrokerStateMachine.WorkerID, now: Moment) -> [GatewayAction] {
        guard let message = WorkerMessage(body) else {
            logger.warning("malformed message from a worker; asking it to re-register", metadata: ["frames": "\(body.count)"])
            return [.sendDisconnect(worker: worker)] + handle(broker.received(.disconnect, from: worker, now: now.instant), now: now)
        }
        if case .ready(let service, let credits) = message {
            logger.info("worker ready", metadata: ["service": "\(service)", "credits": "\(credits)"])
        }
        let brokerActions = broker.received(message, from: worker, now: now.instant)
        var actions = handle(brokerActions, now: now)
        if case .reply(let tag, let payload) = message, brokerActions.contains(.completed(tag: tag)) {
            actions += completed(tag: tag, payload: payload, now: now)
        }
        return actions + drainQueues(now: now)
    }

    /// Sending to a worker failed (it is gone): forget it and retry its jobs.
    public mutating func workerUnreachable(_ worker: BrokerStateMachine.WorkerID, now: Moment) -> [GatewayAction] {
        handle(broker.received(.disconnect, from: worker, now: now.instant), now: now) + drainQueues(now: now)
    }

    // MARK: Time

    /// Expires dead workers and late requests, sends heartbeats, dispatches queued work.
    public mutating func tick(now: Moment) -> [GatewayAction] {
        var actions = handle(broker.expire(now: now.instant), now: now)
        if nextHeartbeatAt.map({ now.instant >= $0 }) ?? true {
            actions += broker.allWorkers.map { .sendHeartbeat(worker: $0) }
            nextHeartbeatAt = now.instant + configuration.broker.heartbeat
        }
        for (key, pending) in requests where pending.deadline.hasPassed(at: now.wall) {
            let phase =
                switch pending.phase {
                case .encoding: "encoding the history"
                case .generating: "generating candidates"
                case .scoring: "scoring candidates"
                }
            actions += fail(key, .deadlineExceeded("deadline passed while \(phase)"))
        }
        return actions + drainQueues(now: now)
    }

    // MARK: Jobs

    mutating func handle(_ brokerActions: [BrokerStateMachine.Action], now: Moment) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        for action in brokerActions {
            switch action {
            case .disconnect(let worker):
                actions.append(.sendDisconnect(worker: worker))
            case .completed:
                break  // handled by the caller, which has the payload
            case .orphaned(let tags, let service):
                logger.warning(
                    "worker lost with jobs in flight; retrying them", metadata: ["service": "\(service)", "jobs": "\(tags.count)"])
                for tag in tags { actions += retry(tag, now: now) }
            }
        }
        return actions
    }

    mutating func retry(_ tag: UInt64, now: Moment) -> [GatewayAction] {
        guard var job = jobs.removeValue(forKey: tag), requests[job.requestKey] != nil else { return [] }
        requests[job.requestKey]!.openJobs.remove(tag)
        job.attempts += 1
        guard job.attempts < configuration.maxAttempts else {
            return fail(job.requestKey, .unavailable("\(job.service) replicas failed \(job.attempts) times for this request"))
        }
        return submit(job, now: now)
    }

    /// Gives a job a tag and a worker, or queues it until one is free.
    mutating func submit(_ job: Job, now: Moment) -> [GatewayAction] {
        let tag = nextKey
        nextKey += 1
        jobs[tag] = job
        requests[job.requestKey]?.openJobs.insert(tag)
        if let worker = broker.assign(tag: tag, service: job.service, now: now.instant) {
            return [.sendRequest(worker: worker, tag: tag, payload: job.payload)]
        }
        let queued = waiting.values.reduce(0) { $0 + $1.count }
        guard queued < configuration.maxQueuedJobs else {
            guard let pending = forget(job.requestKey) else { return [] }
            let error = ServiceError(.overloaded, "\(queued) jobs are waiting for replicas; retry with backoff")
            return [overloaded(pending.request, pending.client, error)]
        }
        jobs[tag]!.queuedAt = now.instant
        waiting[job.service, default: []].append(tag)
        return []
    }

    /// Sends queued jobs to workers that have free credits; fails jobs whose service has no replica left.
    mutating func drainQueues(now: Moment) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        for service in waiting.keys {
            waiting[service]!.removeAll { tag in
                guard let job = jobs[tag], requests[job.requestKey] != nil else {
                    jobs[tag] = nil
                    return true
                }
                return false
            }
            while let index = nextWaiting(service) {
                let tag = waiting[service]![index]
                let job = jobs[tag]!
                if broker.liveWorkers(service: service) == 0 {
                    waiting[service]!.remove(at: index)
                    actions += fail(job.requestKey, .unavailable("no live \(service) replica is registered"))
                    continue
                }
                guard let worker = broker.assign(tag: tag, service: service, now: now.instant) else { break }
                waiting[service]!.remove(at: index)
                if let queuedAt = job.queuedAt, requests[job.requestKey] != nil {
                    requests[job.requestKey]!.longestQueueWait = max(requests[job.requestKey]!.longestQueueWait, now.instant - queuedAt)
                }
                actions.append(.sendRequest(worker: worker, tag: tag, payload: job.payload))
            }
        }
        return actions
    }

    /// Which queued job of `service` goes next: the oldest of the client connection with the fewest
    /// of that service's jobs already at replicas. Plain FIFO would let a client with many requests
    /// in flight (up to its per-connection limit) make everyone else wait behind all of them.
    func nextWaiting(_ service: String) -> Int? {
        guard let queue = waiting[service], !queue.isEmpty else { return nil }
        let queued = Set(queue)
        var atReplicas: [ClientAddress: Int] = [:]
        for (tag, job) in jobs where job.service == service && !queued.contains(tag) {
            if let client = requests[job.requestKey]?.client { atReplicas[client, default: 0] += 1 }
        }
        var best: (index: Int, load: Int)?
        for (index, tag) in queue.enumerated() {
            guard let client = jobs[tag].flatMap({ requests[$0.requestKey]?.client }) else { continue }
            let load = atReplicas[client] ?? 0
            if best == nil || load < best!.load { best = (index, load) }
            if load == 0 { break }  // nobody beats an idle client's oldest job
        }
        return best?.index
    }

    // MARK: Replies

    /// Over capacity: the user's last good answer flagged degraded when there is one, else the error.
    mutating func overloaded(_ request: RecommendRequest, _ client: ClientAddress, _ error: ServiceError) -> GatewayAction {
        if let reply = degradedAnswers?.reply(for: request) {
            logger.debug("over capacity; answered with the last good answer", metadata: ["request-id": "\(reply.requestID)"])
            return .replyToClient(client, reply.encoded(), RequestOutcome(code: "DEGRADED", modelVersion: reply.modelVersion))
        }
        return reject(client, request.header.requestID, error)
    }

    func reject(_ client: ClientAddress, _ requestID: UInt64, _ error: ServiceError) -> GatewayAction {
        .replyToClient(client, RecommendReply(requestID: requestID, error: error).encoded(), RequestOutcome(code: error.code.name))
    }

    /// Drops a request and its open jobs (their replies will be dropped when they come).
    mutating func forget(_ key: UInt64) -> PendingRequest? {
        guard let pending = requests.removeValue(forKey: key) else { return nil }
        for tag in pending.openJobs { jobs[tag] = nil }
        return pending
    }

    /// Answers a request with an error and forgets it; its open jobs' replies will be dropped.
    mutating func fail(_ key: UInt64, _ error: ServiceError) -> [GatewayAction] {
        guard let pending = forget(key) else { return [] }
        logger.debug("request failed", metadata: ["request-id": "\(pending.request.header.requestID)", "error": "\(error)"])
        return [reject(pending.client, pending.request.header.requestID, error)]
    }
}
