import Clients
import Foundation
import Wire
import ZeroMQ

extension GatewayClient {
    /// Sends small real queries until the whole path (gateway, encoder, scorers, embeddings)
    /// answers, and, with `scorers`, until that many scorer replicas have registered (a query with
    /// enough candidates is then split into that many slices).
    public func waitUntilServing(seconds: Double = 30, scorers: Int = 1) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let probe = RecommendRequest(
                header: RequestHeader(requestID: 0, deadline: nil), userID: "probe", history: [0],
                candidates: Array(0..<Int64(128 * scorers)), k: 1)
            if let reply = try? recommend(probe, timeoutMilliseconds: 1_000), reply.error == nil,
                reply.scorerSlices >= UInt32(scorers)
            {
                return true
            }
            usleep(50_000)
        }
        return false
    }
}
