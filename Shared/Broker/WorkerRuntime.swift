import Foundation
import Logging
import ServiceRuntime
import Synchronization
import Wire
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
    let makeHandler: @Sendable () throws -> any RequestHandler

    public init(
        configuration: WorkerConfiguration, context: ZMQContext, logger: Logger,
        makeHandler: @escaping @Sendable () throws -> any RequestHandler
    ) {
        self.configuration = configuration
        self.context = context
        self.logger = logger
        self.makeHandler = makeHandler
    }

    /// Runs until `stop` is set; then tells the broker it is leaving and joins its threads.
    public func run(stop: StopFlag) throws {
        let runID = UInt64.random(in: 0...UInt64.max)
        var pipes: [Socket] = []
        var threads: [Thread] = []
        let failures = Mutex<[String]>([])
        for index in 0..<configuration.threads {
            let address = "inproc://compute-\(runID)-\(index)"
            let pipe = try Socket(context, .pair)
            try pipe.bind(address)
            pipes.append(pipe)
            let thread = Thread { [context, makeHandler, logger] in
                do {
                    try Self.computeLoop(context: context, address: address, makeHandler: makeHandler, stop: stop)
                } catch {
                    logger.error("compute thread failed", metadata: ["error": "\(error)"])
                    failures.withLock { $0.append("\(error)") }
                }
            }
            thread.name = "compute-\(index)"
            thread.start()
            threads.append(thread)
        }
        var connection = BrokerConnection(configuration: configuration, context: context, logger: logger)
        try connection.connect()
        var idle = Array(0..<pipes.count)
        var queued: [(tag: UInt64, payload: Frame)] = []

        while !stop.isStopped {
            var poller = Poller([connection.socket] + pipes)
            let ready = try poller.poll(timeoutMilliseconds: Int(configuration.heartbeatMilliseconds))
            if ready[0] {
                while let frames = try connection.socket.receiveMessage(dontWait: true) {
                    switch connection.received(frames) {
                    case .request(let tag, let payload): queued.append((tag, payload))
                    case .reconnect:
                        // Jobs queued for the old registration were re-dispatched by the broker.
                        queued.removeAll()
                        try connection.connect()
                    case .none: break
                    }
                }
            }
            for (index, isReady) in ready.dropFirst().enumerated() where isReady {
                while let frames = try pipes[index].receiveMessage(dontWait: true), frames.count == 2 {
                    try connection.send(.reply, [frames[0].bytes, frames[1].bytes])
                    idle.append(index)
                }
            }
            while !queued.isEmpty, let index = idle.popLast() {
                let job = queued.removeFirst()
                try pipes[index].send([Frame(WorkerProtocol.tagBytes(job.tag)), job.payload])
            }
            if try connection.tick() == .reconnect {
                queued.removeAll()
                try connection.connect()
            }
            if let failure = failures.withLock({ $0.first }) {
                throw WorkerRuntimeError(description: "a compute thread failed: \(failure)")
            }
        }
        try? connection.send(.disconnect)
        for thread in threads { while !thread.isFinished { usleep(1_000) } }
        logger.info("worker stopped", metadata: ["service": "\(configuration.service)"])
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

public struct WorkerRuntimeError: Error, CustomStringConvertible {
    public let description: String
}
