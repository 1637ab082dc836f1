import ArgumentParser
import Clients
import Foundation
import ServiceRuntime
import Wire
import ZeroMQ

struct Rollout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a share of users to a model version, at run time, through the gateway's traffic split.",
        discussion: """
            `recctl rollout trained-8 --percent 10` gives trained-8 10% of users and the other versions of the current split the
            rest, in proportion (with no split yet, the one other version every replica holds). Users are assigned by a stable
            hash of their id, so widening a share only moves users toward the new version. `--split a=75,b=25` sets the split
            directly. The gateway refuses a version that some live encoder or scorer does not hold, and keeps the split it had.
            """)

    @Argument(help: "The version to move traffic to.")
    var version: String?
    @Option(help: "Its share of users, 0 to 100.")
    var percent: UInt32?
    @Option(help: "The whole split instead, VERSION=PERCENT,...")
    var split: String?
    @Option(help: "The gateway's admin endpoint (its --admin-bind).")
    var admin = DefaultEndpoints.gatewayAdmin()

    func validate() throws {
        let byVersion = version != nil && percent != nil
        let nothingElse = version == nil && percent == nil
        guard byVersion != (split != nil), split == nil || nothingElse else {
            throw ValidationError("give VERSION --percent P, or --split VERSION=PERCENT,...")
        }
        if let percent, percent > 100 { throw ValidationError("--percent must be 0...100") }
    }

    func run() throws {
        let client = try AdminClient(context: ZMQContext(), endpoint: Endpoint.normalize(admin))
        let shares: [VersionShare]
        if let split {
            shares = try VersionShare.parse(split)
        } else {
            let current = try client.status().get()
            shares = try Self.widen(current, version: version!, percent: percent!)
        }
        switch try client.setSplit(shares) {
        case .success(let status): print("split is now \(VersionShare.describe(status.split))")
        case .failure(let error):
            print("error: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// The current split with `version` at `percent` and the other versions sharing the rest in
    /// proportion to their shares (largest remainders get the leftover points).
    static func widen(_ status: GatewayStatus, version: String, percent: UInt32) throws -> [VersionShare] {
        var others = status.split.filter { $0.version != version }
        if others.isEmpty {
            let held = status.replicas.map { Set($0.status?.versions ?? []) }
            let everywhere = held.dropFirst().reduce(held.first ?? []) { $0.intersection($1) }.subtracting([version]).sorted()
            guard everywhere.count == 1 else {
                throw ValidationError(
                    "the gateway has no split and the replicas hold \(everywhere.isEmpty ? "no other version" : everywhere.joined(separator: ", ")) besides \(version): give the whole split with --split"
                )
            }
            others = [VersionShare(version: everywhere[0], percent: 100)]
        }
        let rest = 100 - Int(percent)
        let weights = others.map { Double($0.percent) }
        let total = weights.reduce(0, +)
        let exact = weights.map { total > 0 ? $0 / total * Double(rest) : Double(rest) / Double(others.count) }
        var given = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { exact[$0] - Double(given[$0]) > exact[$1] - Double(given[$1]) }
        for index in order.prefix(rest - given.reduce(0, +)) { given[index] += 1 }
        return others.enumerated().map { VersionShare(version: $1.version, percent: UInt32(given[$0])) }
            + [VersionShare(version: version, percent: percent)]
    }
}
