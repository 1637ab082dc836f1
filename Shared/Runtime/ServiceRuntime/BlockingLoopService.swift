import Foundation
import Logging
import ServiceLifecycle

/// Runs a blocking ZeroMQ loop on a thread of its own, as a swift-service-lifecycle `Service`.
///
/// Sockets must stay on one thread and `zmq_poll` blocks, so neither may run on Swift's cooperative
/// pool. The loop builds its sockets inside `body` (on its thread) and returns when `StopFlag` is
/// set, which happens on graceful shutdown (SIGTERM/SIGINT) or cancellation.
public struct BlockingLoopService: Service {
    public let name: String
    private let body: @Sendable (StopFlag) throws -> Void

    public init(name: String, body: @escaping @Sendable (StopFlag) throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws {
        let stop = StopFlag()
        let body = self.body
        let name = self.name
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    do {
                        try body(stop)
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = name
                thread.start()
            }
        } onCancelOrGracefulShutdown: {
            stop.stop()
        }
    }
}

/// Starts a process's services and runs them until SIGTERM or SIGINT, then shuts down gracefully.
public enum ServiceMain {
    /// Every service's `--help` says where else its flags can come from.
    public static let environmentDiscussion =
        "Every flag can also come from the environment: --log-level is RECSERVE_LOG_LEVEL. Flags on the command line win."

    /// Logs to standard error at `level`; call once, first thing in `main`.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map {
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
