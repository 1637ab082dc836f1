import ArgumentParser
import Broker
import Clients
import Foundation
import ServiceRuntime
import Wire
import ZeroMQ

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask one service whether it is alive (exit 0) or not (exit 1): for container health checks.",
        discussion: """
            --gateway: the gateway answers a request (an empty probe gets its BAD_REQUEST reply).
            --embedding: the embedding-server answers an empty lookup.
            --file: a history-encoder or scorer started with --health-file heard from its broker recently.
            """)

    @Option(help: "Gateway client endpoint to probe.")
    var gateway: String?
    @Option(help: "Embedding-server endpoint to probe.")
    var embedding: String?
    @Option(help: "A replica's --health-file.")
    var file: String?
    @Option(help: "How fresh --file must be, in milliseconds.")
    var maxAgeMs: Int64 = 3_000
    @Option(help: "How long to wait for a reply, in milliseconds.")
    var timeoutMs = 1_000
    @OptionGroup var curve: CurveClientOptions

    func validate() throws {
        guard [gateway, embedding, file].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --gateway, --embedding, --file")
        }
    }

    func run() throws {
        if let file {
            guard let age = HealthFile.ageMilliseconds(file) else { return try fail("\(file) does not exist: not registered yet") }
            guard age <= maxAgeMs else { return try fail("\(file) is \(age) ms old: the broker has not been heard from") }
            print("healthy: heard from the broker \(age) ms ago")
            return
        }
        let context = ZMQContext()
        let socket = try Socket(context, .dealer)
        try socket.applyCurve(try curve.load())
        try socket.connect(gateway ?? embedding!)
        let probe: [UInt8] =
            gateway != nil
            ? RecommendRequest(header: RequestHeader(requestID: 1, deadline: nil), userID: "health", history: [], k: 1).encoded()
            : LookupRequest(header: RequestHeader(requestID: 1, deadline: nil), ids: []).encoded()
        try socket.send(parts: [probe], dontWait: true)
        var poller = Poller([socket])
        guard try poller.poll(timeoutMilliseconds: timeoutMs)[0], let frames = try socket.receiveMessage(dontWait: true),
            frames.count == 1
        else { return try fail("no reply within \(timeoutMs) ms") }
        let answered = frames[0].withUnsafeBytes { bytes in
            gateway != nil ? (try? RecommendReply(decoding: bytes)) != nil : (try? LookupReply(decoding: bytes)) != nil
        }
        guard answered else { return try fail("the reply did not decode") }
        print("healthy")
    }

    private func fail(_ reason: String) throws {
        FileOutput.standardError("unhealthy: \(reason)\n")
        throw ExitCode(1)
    }
}
