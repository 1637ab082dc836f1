import ArgumentParser
import Foundation

/// Lets every flag of a service also come from the environment, for containers:
/// `RECSERVE_CACHE_ROWS=50000` means `--cache-rows 50000`; a flag given on the command line wins.
///
/// One rule for every service (upper-case the flag, dashes to underscores, prefix `RECSERVE_`),
/// so `--help` documents every key and its default; an unknown key fails like an unknown flag.
public enum EnvironmentArguments {
    public static let prefix = "RECSERVE_"

    /// The command line with environment-provided flags appended.
    public static func merged(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        let given = Set(arguments.filter { $0.hasPrefix("--") }.map { $0.split(separator: "=").first.map(String.init) ?? $0 })
        var extra: [String] = []
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) where key.hasPrefix(prefix) {
            let flag = "--" + key.dropFirst(prefix.count).lowercased().replacingOccurrences(of: "_", with: "-")
            guard !given.contains(flag) else { continue }
            extra += [flag, value]
        }
        return arguments + extra
    }
}

extension AsyncParsableCommand {
    /// `main()` for services: flags from the command line, then from `RECSERVE_*` variables.
    public static func mainWithEnvironment() async {
        MemoryTuning.keepFreedBuffers()
        await main(EnvironmentArguments.merged())
    }
}
