import Client
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// CURVE on the gateway's client endpoint: allowed keys get answers, everyone else gets nothing.
@Suite(.serialized) struct CurveTests {
    static let model = Fixtures.randomModel(items: 200, dim: 16, heads: 2, layers: 1, maxHistory: 20, seed: 44)

    @Test func unknownClientKeysAndPlaintextClientsAreRefused() throws {
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let serverKeyPath = folder.appendingPathComponent("gateway.key").path
        let allowedPath = folder.appendingPathComponent("allowed").path
        try server.fileText.write(toFile: serverKeyPath, atomically: true, encoding: .utf8)
        // Both line forms; generate until a key contains "=" so the parser meets one (Z85 allows it).
        var withEquals = try CurveKeyPair.generate()
        while !withEquals.publicKey.contains("=") { withEquals = try CurveKeyPair.generate() }
        try "# clients\n\(allowed.publicKey)\npublic-key = \"\(withEquals.publicKey)\"\n".write(
            toFile: allowedPath, atomically: true, encoding: .utf8)
        #expect(try CurveKeyPair.loadPublicKeys(path: allowedPath) == [allowed.publicKey, withEquals.publicKey])
        #expect(try CurveKeyPair.load(path: serverKeyPath) == server)

        let cluster = try ServiceCluster(
            model: Self.model, scorers: 1,
            gatewayArguments: ["--curve-key", serverKeyPath, "--curve-allowed-clients", allowedPath, "--log-level", "info"])
        let context = ZMQContext()
        let trusted = try GatewayClient(context: context, endpoint: cluster.gateway, curve: (server.publicKey, allowed))
        try #require(trusted.waitUntilServing(), "allowed client not served:\n\(cluster.logs())")

        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "u", history: [1, 2], candidates: [3, 4, 5], k: 2)
        let intruder = try GatewayClient(context: context, endpoint: cluster.gateway, curve: (server.publicKey, stranger))
        #expect(throws: (any Error).self) { try intruder.recommend(request, timeoutMilliseconds: 500) }
        let plaintext = try GatewayClient(context: context, endpoint: cluster.gateway)
        #expect(throws: (any Error).self) { try plaintext.recommend(request, timeoutMilliseconds: 500) }

        #expect(cluster.log("gateway").contains("refused a client: its CURVE key is not allowed"))
        let reply = try trusted.recommend(request, timeoutMilliseconds: 3_000)
        #expect(reply.error == nil && reply.ranked.items.count == 2)
        #expect(cluster.isRunning("gateway"))
    }
}
