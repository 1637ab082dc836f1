import Clients
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
        let trusted = try GatewayClient(
            context: context, endpoint: cluster.gateway, curve: CurveClientSettings(serverPublicKey: server.publicKey, keys: allowed))
        try #require(trusted.waitUntilServing(), "allowed client not served:\n\(cluster.logs())")

        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "u", history: [1, 2], candidates: [3, 4, 5], k: 2)
        let intruder = try GatewayClient(
            context: context, endpoint: cluster.gateway, curve: CurveClientSettings(serverPublicKey: server.publicKey, keys: stranger))
        #expect(throws: (any Error).self) { try intruder.recommend(request, timeoutMilliseconds: 500) }
        let plaintext = try GatewayClient(context: context, endpoint: cluster.gateway)
        #expect(throws: (any Error).self) { try plaintext.recommend(request, timeoutMilliseconds: 500) }

        #expect(cluster.log("gateway").contains("refused a connection: its CURVE key is not allowed"))
        let reply = try trusted.recommend(request, timeoutMilliseconds: 3_000)
        #expect(reply.error == nil && reply.ranked.items.count == 2)
        #expect(cluster.isRunning("gateway"))
    }

    /// CURVE between the tiers: replicas register with the gateway and look rows up only with an
    /// allowed key; a replica or lookup client with any other key (or none) gets nowhere, and the
    /// refusal is logged.
    @Test func servicesTalkOnlyWithAllowedInternalKeys() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("internal-curve-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String) throws -> (pair: CurveKeyPair, key: String, pub: String) {
            let pair = try CurveKeyPair.generate()
            let (key, pub) = ("\(folder)/\(name).key", "\(folder)/\(name).pub")
            try pair.fileText.write(toFile: key, atomically: true, encoding: .utf8)
            try CurveKeyPair(publicKey: pair.publicKey, secretKey: nil).fileText.write(toFile: pub, atomically: true, encoding: .utf8)
            return (pair, key, pub)
        }
        let (gateway, embedding, replica, stranger) = (
            try write("gateway"), try write("embedding"), try write("replica"), try write("stranger")
        )
        let peers = "\(folder)/peers"
        try replica.pair.publicKey.write(toFile: peers, atomically: true, encoding: .utf8)

        let cluster = try ServiceCluster(
            model: Self.model, scorers: 1,
            gatewayArguments: ["--internal-key", gateway.key, "--internal-peers", peers, "--log-level", "info"],
            replicaArguments: [
                "--internal-key", replica.key, "--internal-gateway-key", gateway.pub, "--internal-embedding-key", embedding.pub,
            ],
            embeddingArguments: ["--internal-key", embedding.key, "--internal-peers", peers, "--log-level", "info"])
        let context = ZMQContext()
        let client = try GatewayClient(context: context, endpoint: cluster.gateway)
        try #require(client.waitUntilServing(), "the CURVE cluster did not serve:\n\(cluster.logs())")

        // A scorer with a key the gateway does not allow, and one without CURVE: neither registers.
        let replicaArguments = ["--model", cluster.modelPath, "--gateway", cluster.workers, "--embedding", cluster.embedding]
        try cluster.start(
            "scorer", name: "stranger-scorer",
            replicaArguments + [
                "--internal-key", stranger.key, "--internal-gateway-key", gateway.pub, "--internal-embedding-key", embedding.pub,
            ])
        try cluster.start("scorer", name: "plaintext-scorer", replicaArguments)
        // A lookup client with a key the embedding-server does not allow.
        let intruder = try EmbeddingClient(
            context: context, endpoints: [cluster.embedding],
            curve: CurveClientSettings(serverPublicKey: embedding.pair.publicKey, keys: stranger.pair))
        #expect(throws: ServiceError.self) { try intruder.lookup([1, 2], deadline: .after(milliseconds: 500)).get() }
        let allowed = try EmbeddingClient(
            context: context, endpoints: [cluster.embedding],
            curve: CurveClientSettings(serverPublicKey: embedding.pair.publicKey, keys: replica.pair))
        #expect((try? allowed.lookup([1, 2], deadline: .after(milliseconds: 3_000)).get())?.count == 2 * 16)

        usleep(1_500_000)
        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "u", history: [1, 2], candidates: Array(0..<200), k: 3)
        let reply = try client.recommend(request, timeoutMilliseconds: 3_000)
        #expect(reply.error == nil && reply.scorerSlices == 1, "only the allowed scorer may serve: \(reply)")
        #expect(cluster.log("gateway").contains("refused a connection: its CURVE key is not allowed"), "\(cluster.logs())")
        #expect(cluster.log("embedding-server").contains("refused a connection: its CURVE key is not allowed"))
    }
}
