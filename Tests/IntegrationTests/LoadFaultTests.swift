import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Faults injected while clients keep the gateway busy: a scorer SIGKILLed mid-load, and more
/// requests than the gateway admits.
@Suite(.serialized) struct LoadFaultTests {
    static let model = Fixtures.randomModel(items: 2_000, dim: 32, heads: 2, layers: 2, maxHistory: 100, seed: 23)

    /// Outcomes of closed-loop clients, shared between their threads.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        private var items: Set<[Int64]> = []

        func record(_ outcome: String, items answer: [Int64]? = nil) {
            lock.withLock {
                counts[outcome, default: 0] += 1
                if let answer { items.insert(answer) }
            }
        }

        var snapshot: (counts: [String: Int], items: Set<[Int64]>) { lock.withLock { (counts, items) } }
    }

    /// `clients` threads each sending `request(thread, n)` until `seconds` pass; `during` runs meanwhile.
    static func load(
        gateway: String, clients: Int, seconds: Double, deadlineMs: Int, request: @escaping @Sendable (Int, Int) -> RecommendRequest,
        during: () -> Void
    ) -> Tally {
        let tally = Tally()
        let stopAt = Date().addingTimeInterval(seconds)
        let threads = (0..<clients).map { index in
            Thread {
                guard let client = try? GatewayClient(context: ZMQContext(), endpoint: gateway) else {
                    return tally.record("client setup")
                }
                var sent = 0
                while Date() < stopAt {
                    var next = request(index, sent)
                    next.header.deadline = .after(milliseconds: deadlineMs)
                    sent += 1
                    guard let reply = try? client.recommend(next, timeoutMilliseconds: deadlineMs + 1_000) else {
                        tally.record("no reply")
                        continue
                    }
                    if let error = reply.error {
                        tally.record(error.code.name)
                    } else {
                        tally.record(reply.degraded ? "degraded" : "ok", items: reply.ranked.items)
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        during()
        while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
        return tally
    }

    @Test func sigkillAScorerUnderLoadFailsNoRequestWithDeadlineLeft() throws {
        let cluster = try ServiceCluster(model: Self.model, scorers: 3)
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 3), "cluster did not start:\n\(cluster.logs())")
        let tally = Self.load(
            gateway: cluster.gateway, clients: 4, seconds: 4, deadlineMs: 3_000,
            request: { thread, n in
                RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: "load-\(thread)-\(n)",
                    history: Fixtures.randomIDs(count: 50, below: 2_000, seed: UInt64(thread * 100_000 + n)),
                    candidates: Array(0..<1_200), k: 10)
            },
            during: {
                usleep(1_500_000)
                cluster.kill("scorer-1")
            })
        let counts = tally.snapshot.counts
        let failed = counts.filter { $0.key != "ok" }
        #expect(failed.isEmpty, "requests failed around the kill: \(failed)\n\(cluster.logs())")
        #expect(counts["ok", default: 0] > 40, "too little load to mean anything: \(counts)")
        #expect(cluster.isRunning("gateway") && cluster.isRunning("scorer-0") && cluster.isRunning("scorer-2"))
        print("SIGKILL a scorer under load (4 clients, 4 s, kill at 1.5 s): \(counts)")
    }

    @Test func overCapacityAnswersAreTheUsersLastGoodAnswerFlaggedDegraded() throws {
        let cluster = try ServiceCluster(
            model: Self.model, scorers: 1, gatewayArguments: ["--max-pending", "1", "--degraded-answer-users", "100"])
        let client = try GatewayClient(context: ZMQContext(), endpoint: cluster.gateway)
        try #require(client.waitUntilServing(scorers: 1), "cluster did not start:\n\(cluster.logs())")
        let history = Fixtures.randomIDs(count: 60, below: 2_000, seed: 5)
        let ask = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: "alice", history: history, candidates: Array(0..<1_500), k: 10)
        let fresh = try client.recommend(ask, timeoutMilliseconds: 5_000)
        try #require(fresh.error == nil && !fresh.degraded)

        let tally = Self.load(gateway: cluster.gateway, clients: 4, seconds: 2, deadlineMs: 3_000, request: { _, _ in ask }, during: {})
        let (counts, answers) = tally.snapshot
        #expect(counts["degraded", default: 0] > 0, "the gateway was never over capacity: \(counts)")
        #expect(counts["ok", default: 0] > 0)
        #expect(counts.keys.allSatisfy { $0 == "ok" || $0 == "degraded" }, "\(counts)")
        #expect(answers == [fresh.ranked.items], "a degraded answer differs from alice's last good one")
        print("over capacity (--max-pending 1, 4 clients, one user): \(counts)")

        // Another user has no kept answer: over capacity is an OVERLOADED error for them.
        let bob = Self.load(
            gateway: cluster.gateway, clients: 4, seconds: 1, deadlineMs: 3_000,
            request: { thread, n in
                RecommendRequest(
                    header: RequestHeader(requestID: 0, deadline: nil), userID: "bob-\(thread)-\(n)", history: history,
                    candidates: Array(0..<1_500), k: 10)
            }, during: {}
        ).snapshot.counts
        #expect(bob["OVERLOADED", default: 0] > 0 && bob["degraded", default: 0] == 0, "\(bob)")
    }
}
