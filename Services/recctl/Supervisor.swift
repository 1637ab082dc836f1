import Foundation

/// Starts service executables as child processes and stops them: SIGTERM, then SIGKILL after a
/// grace period. Reports a child that exits on its own.
final class Supervisor: @unchecked Sendable {
    private let binDir: String
    private var children: [(name: String, process: Process)] = []
    private let lock = NSLock()
    private var stopping = false

    init(binDir: String) { self.binDir = binDir }

    func start(_ executable: String, name: String, _ arguments: [String]) throws {
        let path = binDir + "/" + executable
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SupervisorError(description: "\(path) is not an executable; build with `swift build` or pass --bin-dir")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.terminationHandler = { [weak self] process in
            guard let self, !self.isStopping else { return }
            FileHandle.standardError.write(Data("recctl: \(name) exited unexpectedly (status \(process.terminationStatus))\n".utf8))
        }
        try process.run()
        lock.withLock { children.append((name, process)) }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Stops replicas first, then the gateway, then the embedding servers (reverse start order).
    func stopAll(graceSeconds: Double = 5) {
        let all = lock.withLock {
            stopping = true
            return children.reversed()
        }
        for child in all where child.process.isRunning { child.process.terminate() }
        let deadline = Date().addingTimeInterval(graceSeconds)
        for child in all {
            while child.process.isRunning && Date() < deadline { usleep(20_000) }
            if child.process.isRunning {
                FileHandle.standardError.write(Data("recctl: \(child.name) ignored SIGTERM; killing it\n".utf8))
                kill(child.process.processIdentifier, SIGKILL)
                child.process.waitUntilExit()
            }
        }
    }
}

struct SupervisorError: Error, CustomStringConvertible {
    let description: String
}

enum Executables {
    /// The folder of the running executable (so `recctl up` finds its sibling services).
    static func ownFolder() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }
}
