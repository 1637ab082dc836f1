import Clients
import Foundation
import Model
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Every service serves Prometheus metrics that Prometheus' own checker accepts, and the counts
/// agree with the traffic that was sent.
@Suite(.serialized) struct MetricsTests {
    static let model = Fixtures.randomModel(items: 300, dim: 16, heads: 2, layers: 1, maxHistory: 20, seed: 12)

    /// A sample's value from the text format (`name{labels} value`), summed over lines that match.
    static func value(_ text: String, _ series: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(series + " ") }.compactMap { Double($0.split(separator: " ").last!) }
            .reduce(0, +)
    }

    @Test func everyServiceServesMetricsThatPromtoolAccepts() async throws {
        let ports = try FreePorts.take(4)
        let binds = ports.map { "127.0.0.1:\($0)" }
        let cluster = try ServiceCluster(model: Self.model, scorers: 1, metricsBinds: binds)
        let context = ZMQContext()
        let client = try GatewayClient(context: context, endpoint: cluster.gateway)
        try #require(client.waitUntilServing(), "cluster did not start:\n\(cluster.logs())")
        let before = try await HTTPGet.text("http://\(binds[1])/metrics").body
        let okBefore = Self.value(before, "recserve_gateway_requests_total{code=\"OK\",model_version=\"test-12\"}")

        var (ok, notFound) = (0, 0)
        for index in 0..<30 {
            let unknown = index % 10 == 9
            // Every third asks for all items, which goes through the history-encoder; the rest
            // make one slice, which a scorer encodes itself.
            let allItems = index % 3 == 0 && !unknown
            let request = RecommendRequest(
                header: RequestHeader(requestID: UInt64(index), deadline: nil), userID: "metrics-\(index % 4)",
                history: [1, 2, Int64(index)], candidates: allItems ? [] : unknown ? [5, 9_999] : [5, 6, 7, Int64(index + 10)],
                allItems: allItems, k: 2)
            let reply = try client.recommend(request, timeoutMilliseconds: 5_000)
            if reply.error == nil { ok += 1 } else if reply.error?.code == .notFound { notFound += 1 }
        }
        #expect((ok, notFound) == (27, 3))

        let expected: [(name: String, families: [String])] = [
            ("embedding-server", ["recserve_embedding_lookups_total", "recserve_embedding_lookup_duration_seconds"]),
            (
                "gateway",
                [
                    "recserve_gateway_requests_total", "recserve_gateway_stage_duration_seconds", "recserve_gateway_live_workers",
                    "recserve_gateway_pending_requests",
                ]
            ),
            ("history-encoder", ["recserve_replica_requests_total", "recserve_cache_lookups_total"]),
            ("scorer", ["recserve_replica_compute_duration_seconds", "recserve_cache_lookups_total"]),
        ]
        var texts: [String: String] = [:]
        for ((name, families), bind) in zip(expected, binds) {
            let (status, text) = try await HTTPGet.text("http://\(bind)/metrics")
            #expect(status == 200, "\(name)")
            texts[name] = text
            for family in families + ["process_resident_memory_bytes"] {
                #expect(text.contains("# TYPE \(family) "), "\(name) has no \(family):\n\(text)")
            }
            let problems = try Promtool.problems(in: text)
            #expect(problems == nil, "\(name): \(problems ?? "")")
        }
        let gateway = texts["gateway"]!
        let okAfter = Self.value(gateway, "recserve_gateway_requests_total{code=\"OK\",model_version=\"test-12\"}")
        #expect(okAfter - okBefore == Double(ok))
        #expect(Self.value(gateway, "recserve_gateway_requests_total{code=\"NOT_FOUND\",model_version=\"\"}") == Double(notFound))
        #expect(Self.value(gateway, "recserve_gateway_live_workers{service=\"scorer\"}") == 1)
        #expect(
            Self.value(gateway, "recserve_gateway_stage_duration_seconds_count{stage=\"total\",model_version=\"test-12\"}")
                == okAfter)
        // Other paths answer plainly, and nothing but GET is served.
        #expect(try await HTTPGet.text("http://\(binds[1])/nothing").status == 404)
    }
}
