import Client
import Foundation
import Wire
import ZeroMQ

extension GatewayClient {
    /// Sends tiny real queries until the whole path (gateway, encoder, scorers, embeddings) answers.
    public func waitUntilServing(seconds: Double = 30, items: Int64 = 1) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let probe = RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "probe", history: [0], candidates: [0], k: 1)
            if let reply = try? recommend(probe, timeoutMilliseconds: 1_000), reply.error == nil { return true }
            usleep(100_000)
        }
        return false
    }
}
