import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Prometheus' own checker, run on metrics text (`promtool check metrics` reads standard input).
public enum Promtool {
    /// promtool's verdict: nil when the text passes, else what it printed.
    public static func problems(in text: String) throws -> String? {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile)
        else {
            return "promtool is not installed: scripts/install-deps.sh installs Debian's prometheus package, which has it"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, output)
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : "promtool exited \(process.terminationStatus): \(printed)"
    }
}

/// A plain HTTP GET (Foundation's client), for tests of the metrics endpoints.
public enum HTTPGet {
    public static func text(_ url: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
