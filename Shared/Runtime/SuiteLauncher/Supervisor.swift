import Foundation

/// Starts service executables as child processes and stops them: SIGTERM, then SIGKILL after a
/// grace period, latest-started first (replicas, then the gateway, then the embedding servers).
///
/// Reports a child that exits on its own. With `logDirectory`, each child's output goes to
/// `NAME.log` there (tests read them); otherwise it shares the supervisor's terminal.
public final class Supervisor: @unchecked Sendable {
    public let binDirectory: String
    public let logDirectory: String?
    private let lock = NSLock()
    private var children: [(name: String, process: Process)] = []
    private var stopping = false
    private let unexpectedExit: @Sendable (String, Int32) -> Void

    public init(
        binDirectory: String, logDirectory: String? = nil,
        unexpectedExit: @escaping @Sendable (String, Int32) -> Void = { name, status in
            FileHandle.standardError.write(Data("\(name) exited unexpectedly (status \(status))\n".utf8))
        }
    ) {
        self.binDirectory = binDirectory
        self.logDirectory = logDirectory
        self.unexpectedExit = unexpectedExit
        Self.killAtExit.register()
    }

    /// The folder of the running executable: where `recctl` finds its sibling services and a test
    /// binary finds the executables the build made.
    public static var ownFolder: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }

    public func start(_ plan: SuitePlan) throws {
        for process in plan.processes { try start(process) }
    }

    public func start(_ child: SuitePlan.Process, environment: [String: String] = [:]) throws {
        let path = binDirectory + "/" + child.executable
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SupervisorError(executable: path, reason: "is not an executable; build with `swift build` or pass --bin-dir")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = child.arguments
        var merged = ProcessInfo.processInfo.environment
        merged["OPENBLAS_NUM_THREADS"] = "1"
        merged.merge(environment) { $1 }
        process.environment = merged
        if let logDirectory {
            let log = logDirectory + "/\(child.name).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = process.standardError
        }
        let name = child.name
        process.terminationHandler = { [weak self] process in
            guard let self, self.expectsRunning(process) else { return }
            self.unexpectedExit(name, process.terminationStatus)
        }
        do {
            try process.run()
        } catch {
            throw SupervisorError(executable: path, reason: "could not start: \(error)")
        }
        lock.withLock { children.append((name, process)) }
        Self.killAtExit.add(process.processIdentifier)
    }

    public var names: [String] { lock.withLock { children.map(\.name) } }

    public func isRunning(_ name: String) -> Bool { process(name)?.isRunning ?? false }

    /// Sends `signal` to one child and waits for it to exit (the supervisor expected it).
    public func kill(_ name: String, signal: Int32 = SIGKILL) {
        guard let process = process(name) else { return }
        lock.withLock { children.removeAll { $0.name == name } }
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// Stops every child, latest-started first.
    public func stopAll(grace: Duration = .seconds(5)) {
        let all = lock.withLock {
            stopping = true
            defer { children.removeAll() }
            return children.reversed()
        }
        for child in all where child.process.isRunning { child.process.terminate() }
        let deadline = Date().addingTimeInterval(Double(grace.components.seconds))
        for child in all {
            while child.process.isRunning && Date() < deadline { usleep(10_000) }
            if child.process.isRunning {
                FileHandle.standardError.write(Data("\(child.name) ignored SIGTERM; killing it\n".utf8))
                Glibc.kill(child.process.processIdentifier, SIGKILL)
                child.process.waitUntilExit()
            }
        }
        lock.withLock { stopping = false }
    }

    /// False once the supervisor stopped or killed it on purpose.
    private func expectsRunning(_ process: Process) -> Bool {
        lock.withLock { !stopping && children.contains { $0.process === process } }
    }
    private func process(_ name: String) -> Process? { lock.withLock { children.last { $0.name == name }?.process } }

    /// Every child of this process, SIGKILLed when it exits, so one that ends without stopping
    /// its supervisor (a crashed test) leaves no orphans.
    final class KillAtExit: @unchecked Sendable {
        private let lock = NSLock()
        private var pids: [pid_t] = []
        private var registered = false

        func register() {
            lock.withLock {
                guard !registered else { return }
                registered = true
                atexit { for pid in Supervisor.killAtExit.all { Glibc.kill(pid, SIGKILL) } }
            }
        }

        func add(_ pid: pid_t) { lock.withLock { pids.append(pid) } }
        var all: [pid_t] { lock.withLock { pids } }
    }

    static let killAtExit = KillAtExit()
}

/// A child that could not be started, naming the executable.
public struct SupervisorError: Error, CustomStringConvertible {
    public let executable: String
    public let reason: String

    public var description: String { "\(executable) \(reason)" }
}
