import Broker
import Clocks
import Foundation
import Logging
import ServiceRuntime
import Synchronization
import Telemetry
import ZeroMQ

/// Runs a replica: one I/O thread that talks to the broker, and compute threads that run handlers.
///
/// The I/O thread owns the DEALER to the broker and keeps heartbeating while handlers compute, so a
/// long request never makes a live worker look dead. Each compute thread owns an inproc PAIR to
/// the I/O thread and its own handler (with its own sockets and scratch memory).
public final class WorkerRuntime: Sendable {
    let configuration: WorkerConfiguration
    let context: ZMQContext
    let logger: Logger
    let telemetry: Telemetry
    /// The replica's status for heartbeats (versions held, counters), given the busy threads.
    let status: (@Sendable (Int) -> [UInt8])?
    let makeHandler: @Sendable () throws -> any RequestHandler

    public init(
        configuration: WorkerConfiguration, context: ZMQContext, logger: Logger, telemetry: Telemetry = .off,
        status: (@Sendable (Int) -> [UInt8])? = nil, makeHandler: @escaping @Sendable () throws -> any RequestHandler
    ) {
        self.status = status
        self.configuration = configuration
        self.context = context
        self.logger = logger
        self.telemetry = telemetry
        self.makeHandler = makeHandler
    }

    /// Runs until `stop` is set; then tells the broker it is leaving and joins its threads.
    public func run(stop: StopFlag) throws {
        let compute = try startComputeThreads(stop: stop)
        let pipes = compute.pipes
        let connection = BrokerConnection(configuration: configuration, context: context, logger: logger, status: status)
        var idle = Array(0..<pipes.count)
        var queued: [BrokerConnection.Delivery] = []
        var closures = connection.closures
        func take(_ deliveries: [BrokerConnection.Delivery]) {
            // Jobs queued for a closed registration were re-dispatched by the broker.
            if connection.closures != closures { (queued, closures) = ([], connection.closures) }
            queued += deliveries
        }
        take(try connection.start(now: .now))
        let labels = [("service", configuration.service)]
        let busy = telemetry.gauge(
            "recserve_replica_busy_threads", help: "Compute threads working on a request.", labels: labels)
        let waiting = telemetry.gauge(
            "recserve_replica_queued_jobs", help: "Jobs received from the broker and waiting for a compute thread.", labels: labels)

        while !stop.isStopped {
            let sockets = (connection.socket.map { [$0] } ?? []) + pipes
            var poller = Poller(sockets)
            let wait = min(connection.machine.timeUntilNextTimer(now: .now), .milliseconds(100))
            let ready = try poller.poll(timeoutMilliseconds: Int(wait.milliseconds) + 1)
            let brokerReady = connection.socket != nil && ready[0]
            if brokerReady { take(try connection.receiveAll(now: .now)) }
            for (index, isReady) in ready.suffix(pipes.count).enumerated() where isReady {
                while let frames = try pipes[index].receiveMessage(dontWait: true), frames.count == 2 {
                    if let tag = WorkerProtocol.tag(from: frames[0]) { try connection.sendReply(tag: tag, payload: frames[1]) }
                    idle.append(index)
                }
            }
            take(try connection.tick(now: .now))
            while !queued.isEmpty, let index = idle.popLast() {
                let job = queued.removeFirst()
                try pipes[index].send([Frame(WorkerProtocol.tagBytes(job.tag)), job.payload])
            }
            busy.set(pipes.count - idle.count)
            connection.busy = pipes.count - idle.count
            waiting.set(queued.count)
            if let failure = compute.failures.first {
                throw WorkerRuntimeError(description: "a compute thread failed: \(failure)")
            }
        }
        connection.stop(now: .now)
        for thread in compute.threads { while !thread.isFinished { usleep(1_000) } }
        logger.info("worker stopped", metadata: ["service": "\(configuration.service)"])
    }

    /// The compute threads, the I/O thread's pipe to each, and what made any of them fail.
    struct ComputeThreads {
        var pipes: [Socket] = []
        var threads: [Thread] = []
        let failures = FailureLog()
    }

    private func startComputeThreads(stop: StopFlag) throws -> ComputeThreads {
        let runID = UInt64.random(in: 0...UInt64.max)
        var compute = ComputeThreads()
        let failures = compute.failures
        for index in 0..<configuration.threads {
            let address = "inproc://compute-\(runID)-\(index)"
            let pipe = try Socket(context, .pair)
            try pipe.bind(address)
            compute.pipes.append(pipe)
            let thread = Thread { [context, makeHandler, logger] in
                do {
                    try Self.computeLoop(context: context, address: address, makeHandler: makeHandler, stop: stop)
                } catch {
                    logger.error("compute thread failed", metadata: ["error": "\(error)"])
                    failures.record("\(error)")
                }
            }
            thread.name = "compute-\(index)"
            thread.start()
            compute.threads.append(thread)
        }
        return compute
    }

    /// One compute thread: receive [tag, payload], handle, send [tag, reply].
    static func computeLoop(
        context: ZMQContext, address: String, makeHandler: () throws -> any RequestHandler, stop: StopFlag
    ) throws {
        let handler = try makeHandler()
        let pipe = try Socket(context, .pair)
        try pipe.setReceiveTimeout(milliseconds: 100)
        try pipe.connect(address)
        while !stop.isStopped {
            guard let frames = try pipe.receiveMessage(), frames.count == 2 else { continue }
            let reply = frames[1].withUnsafeBytes { handler.handle($0) }
            try pipe.send([frames[0], Frame(reply)])
        }
    }
}

/// Errors of threads, recorded by the threads that failed and read by the thread that owns them
/// (a replica's I/O thread; the tests' in-process suite).
public final class FailureLog: Sendable {
    private let errors = Mutex<[String]>([])

    public init() {}

    public func record(_ error: String) { errors.withLock { $0.append(error) } }
    public var all: [String] { errors.withLock { $0 } }
    public var first: String? { errors.withLock { $0.first } }
}

public struct WorkerRuntimeError: Error, CustomStringConvertible {
    public let description: String
}
