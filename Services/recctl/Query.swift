import ArgumentParser
import Clients
import Dataset
import Foundation
import ServiceRuntime
import Wire
import ZeroMQ

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask the gateway for a user's top-k and print the ranked table.")

    @Option(help: "The gateway's client endpoint.")
    var gateway = DefaultEndpoints.gatewayClients()
    @Option(help: "User id (keys the encoder's cache).")
    var user = "user-1"
    @Option(help: "History item ids, oldest first: '1,2,3' or ranges '10-20'.")
    var history: String
    @Option(help: "Candidate ids ('1,2,3' or ranges); default: every item.")
    var candidates: String?
    @Option(name: .short, help: "How many items to return.")
    var k: Int32 = 10
    @Option(help: "Deadline in milliseconds.")
    var deadlineMs = 2_000
    @Option(
        help:
            "Without --candidates: default (the gateway chooses), all-items, or generative (beam search over semantic IDs, then the scorer re-selects)."
    )
    var retrieval = "default"
    @Option(help: "Items to generate with --retrieval generative (default: the gateway's).")
    var beam: UInt32 = 0
    @Flag(help: "Print the reply as JSON.")
    var json = false
    @OptionGroup var curve: CurveClientOptions
    @Option(help: "MovieLens folder (ml-100k.inter and ml-100k.item) to print titles and genres beside item ids.")
    var data: String?

    static let retrievals: [String: Retrieval] = ["default": .default, "all-items": .allItems, "generative": .generative]

    func validate() throws {
        guard Self.retrievals[retrieval] != nil else { throw ValidationError("--retrieval is default, all-items or generative") }
        if candidates != nil && retrieval != "default" { throw ValidationError("--retrieval applies only without --candidates") }
    }

    func run() throws {
        let candidateIDs = try candidates.map(IDList.parse) ?? []
        let mode = Self.retrievals[retrieval]!
        let request = RecommendRequest(
            header: RequestHeader(requestID: 0, deadline: nil), userID: user, history: try IDList.parse(history),
            candidates: candidateIDs, allItems: candidates == nil && mode != .generative, k: k, retrieval: mode, beam: beam)
        let client = try GatewayClient(context: ZMQContext(), endpoint: gateway, curve: try curve.load())
        let reply = try client.recommend(request, timeoutMilliseconds: deadlineMs)
        if let error = reply.error {
            FileOutput.standardError("error \(error.code.name): \(error.message)\n")
            throw ExitCode(2)
        }
        if json {
            print(ReplyJSON.render(reply))
            return
        }
        let catalog = try data.map { folder in
            try ItemCatalog(path: folder + "/ml-100k.item", dataset: SequenceDataset(InteractionLog.load(path: folder + "/ml-100k.inter")))
        }
        print("rank  item        score" + (catalog == nil ? "" : "  title  [genres]"))
        for (rank, (item, score)) in zip(reply.ranked.items, reply.ranked.scores).enumerated() {
            let title = catalog.map { "  " + $0.describe(item) } ?? ""
            print(String(format: "%4d  %-8lld  %9.4f", rank + 1, item, score) + title)
        }
        let timings = reply.timings.map { "\($0.tier)=\($0.micros)µs" }.joined(separator: " ")
        print(
            "model \(reply.modelVersion) · candidates: \(reply.retrieval)\(reply.retrieval == "generative" ? " (\(reply.generated) generated)" : "") · \(reply.scorerSlices) scorer slice(s) · history cache \(reply.historyCacheHit ? "hit" : "miss")"
                + (reply.degraded ? " · DEGRADED: the gateway was over capacity; this is your last good answer" : ""))
        print("timings: \(timings)")
    }
}

enum ReplyJSON {
    static func render(_ reply: RecommendReply) -> String {
        let object: [String: Any] = [
            "request_id": reply.requestID, "model_version": reply.modelVersion,
            "items": reply.ranked.items, "scores": reply.ranked.scores.map(Double.init),
            "timings_us": Dictionary(uniqueKeysWithValues: reply.timings.map { ($0.tier, Int($0.micros)) }),
            "scorer_slices": Int(reply.scorerSlices), "history_cache_hit": reply.historyCacheHit,
            "degraded": reply.degraded, "retrieval": reply.retrieval, "generated": Int(reply.generated),
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

enum FileOutput {
    /// Writes to file descriptor 2 (the `stderr` global is not concurrency-safe in Swift 6).
    static func standardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(2, &bytes, bytes.count)
    }
}
