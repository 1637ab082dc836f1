import Clocks
import Durability
import EmbeddingServing
import Logging
import Wire
import ZeroMQ

/// The push side of the embedding-server: reads pushes, applies them, and acknowledges each only
/// once the journal (when there is one) has synced it.
///
/// Replies are held between syncs (group commit), so with an interval policy many pushes share one
/// fsync and none is acknowledged before it is durable. Owned by the server's loop thread.
final class PushEndpoint: AttachedEndpoint {
    let socket: Socket
    private let handler: PushHandler
    private let logger: Logger
    private var held: [(envelope: RouterEnvelope, reply: PushReply)] = []
    private var lastSync: Instant

    init(socket: Socket, handler: PushHandler, logger: Logger, now: Instant) {
        self.socket = socket
        self.handler = handler
        self.logger = logger
        lastSync = now
    }

    /// How long the loop may sleep before a held reply is due.
    func pollTimeout(now: Instant, idle: Duration) -> Duration {
        guard !held.isEmpty, case .interval(let interval) = handler.journal?.configuration.syncPolicy else { return idle }
        let due = lastSync + interval
        return due <= now ? .zero : min(idle, due - now + .milliseconds(1))
    }

    /// Reads up to `limit` waiting pushes, applies them, and holds their replies until the next sync.
    func drain(limit: Int) throws(ZMQError) {
        for _ in 0..<limit {
            guard let frames = try socket.receiveMessage(dontWait: true) else { return }
            guard let envelope = RouterEnvelope(frames) else { continue }
            let reply =
                envelope.body.count == 1
                ? envelope.body[0].withUnsafeBytes { handler.handle($0) }
                : PushReply(
                    requestID: 0,
                    result: .failure(.badRequest("expected 1 body frame (one push message), got \(envelope.body.count)")))
            held.append((envelope, reply))
        }
    }

    /// Syncs and sends held replies when the policy says so; snapshots when one is due.
    func flush(now: Instant, force: Bool) {
        guard let journal = handler.journal else { return send(syncError: nil) }
        let due: Bool
        switch journal.configuration.syncPolicy {
        case .everyPush: due = true
        case .interval(let interval): due = now - lastSync >= interval
        }
        if !held.isEmpty && (due || force) {
            do {
                let started = Instant.now
                try journal.sync()
                handler.metrics.walSync.recordNanoseconds(started.elapsed.nanoseconds)
                send(syncError: nil)
            } catch {
                logger.error("could not sync the push log; failing the pushes it holds", metadata: ["error": "\(error)"])
                send(syncError: error)
            }
            lastSync = now
        }
        if force || journal.snapshotDue(now: now) {
            do {
                if let sequence = try handler.snapshot(now: now) {
                    logger.info("snapshot written", metadata: ["sequence": "\(sequence)"])
                }
            } catch {
                logger.error("could not write a snapshot; the log keeps growing until one succeeds", metadata: ["error": "\(error)"])
            }
        }
    }

    private func send(syncError: DurabilityError?) {
        for (envelope, reply) in held {
            var reply = reply
            if let syncError, case .success = reply.result {
                reply.result = .failure(.unavailable("push applied in memory but its log sync failed, so not durable: \(syncError)"))
            }
            do {
                try socket.send(envelope.reply([reply.encoded()]), dontWait: true)
            } catch {
                logger.warning("could not acknowledge a push", metadata: ["error": "\(error)"])
            }
        }
        held.removeAll(keepingCapacity: true)
    }
}
