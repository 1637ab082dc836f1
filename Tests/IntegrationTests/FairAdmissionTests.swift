import Clients
import Foundation
import TestSupport
import Testing
import Wire
import ZeroMQ

/// One client that floods the gateway and never reads its replies must not starve another: it gets
/// its own share of in-flight slots (gateway --max-pending-per-client), and the rest is refused
/// at once with an OVERLOADED reply naming that limit.
@Suite(.serialized) struct FairAdmissionTests {
    static let model = Fixtures.randomModel(items: 2_000, dim: 32, heads: 2, layers: 2, maxHistory: 50, seed: 31)

    @Test func aFloodingClientDoesNotStarveAnother() throws {
        let cluster = try ServiceCluster(model: Self.model, scorers: 2, gatewayArguments: ["--max-pending-per-client", "32"])
        let context = ZMQContext()
        let victim = try GatewayClient(context: context, endpoint: cluster.gateway)
        try #require(victim.waitUntilServing(scorers: 2), "cluster did not start:\n\(cluster.logs())")

        // The flood: 6,000 requests in bursts of 500 every 50 ms from one connection (its own thread: a socket
        // belongs to one thread), none read until the flood is over.
        let refusals = Counter()
        let endpoint = cluster.gateway
        let flooding = Thread {
            guard let flooder = try? GatewayClient(context: context, endpoint: endpoint) else { return }
            for index in 0..<6_000 {
                let request = RecommendRequest(
                    header: RequestHeader(requestID: UInt64(index + 1), deadline: .after(milliseconds: 10_000)),
                    userID: "flood-\(index)", history: Fixtures.randomIDs(count: 50, below: 2_000, seed: UInt64(index)),
                    candidates: Fixtures.randomIDs(count: 2_000, below: 2_000, seed: UInt64(index) + 9), k: 10)
                try? flooder.sendRaw([request.encoded()])
                if index % 500 == 499 { usleep(50_000) }
            }
            // Its replies: refusals that name the per-connection limit.
            while let frames = try? flooder.receive(timeoutMilliseconds: 500) {
                guard frames.count == 1, let reply = try? frames[0].withUnsafeBytes({ try RecommendReply(decoding: $0) }) else {
                    continue
                }
                if reply.error?.code == .overloaded && reply.error!.message.contains("max-pending-per-client 32") { refusals.add() }
            }
        }
        flooding.start()
        usleep(200_000)

        // Meanwhile another client's requests keep succeeding within their deadlines.
        var answered = 0
        for index in 0..<20 {
            let request = RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "victim",
                history: Fixtures.randomIDs(count: 50, below: 2_000, seed: 7_000 + UInt64(index)),
                candidates: Fixtures.randomIDs(count: 500, below: 2_000, seed: 8_000 + UInt64(index)), k: 10)
            let reply = try victim.recommend(request, timeoutMilliseconds: 2_000)
            #expect(reply.error == nil, "victim request \(index): \(String(describing: reply.error))")
            if reply.error == nil { answered += 1 }
        }
        #expect(answered == 20)
        while !flooding.isFinished { usleep(10_000) }

        #expect(refusals.value > 0, "the flood was never refused by its per-connection limit")
        #expect(cluster.allRunning, "a service died:\n\(cluster.logs())")
    }
}

/// A count shared with the flooding thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
