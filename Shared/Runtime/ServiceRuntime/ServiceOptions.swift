import ArgumentParser
import Logging

/// Flags every service shares.
public struct ServiceOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .info

    public init() {}
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
