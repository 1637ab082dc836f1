import CHTTPServer
import Foundation

/// Serves `GET /metrics` over HTTP with libmicrohttpd on a thread of its own, so scrapes never
/// touch a service's sockets or its request loop.
public final class MetricsEndpoint: @unchecked Sendable {
    // @unchecked: `server` is written once in init and only read after; libmicrohttpd owns its thread.
    private var server: OpaquePointer?
    private let telemetry: Telemetry
    private let process: ProcessMetrics
    /// The bound port (the one asked for, or the one picked for port 0).
    public private(set) var port: UInt16 = 0

    /// Starts listening on `bind` ("HOST:PORT"; HOST an IPv4 address, 0.0.0.0 for every interface).
    public init(bind: String, telemetry: Telemetry) throws {
        self.telemetry = telemetry
        process = ProcessMetrics(telemetry: telemetry)
        let (host, port) = try Self.parse(bind)
        var error = [CChar](repeating: 0, count: 256)
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard
            let server = rs_http_start(
                host, port,
                { context, url, body, length, contentType in
                    let endpoint = Unmanaged<MetricsEndpoint>.fromOpaque(context!).takeUnretainedValue()
                    return endpoint.answer(
                        url: url.map { String(cString: $0) } ?? "", body: body!, length: length!, contentType: contentType!)
                }, context, 32, 10, &error, error.count)
        else {
            throw MetricsEndpointError(bind: bind, reason: String(cString: error))
        }
        self.server = server
        self.port = rs_http_port(server)
    }

    /// Stops listening; a scrape in progress finishes first.
    public func stop() {
        rs_http_stop(server)
        server = nil
    }

    deinit { rs_http_stop(server) }

    private func answer(
        url: String, body: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, length: UnsafeMutablePointer<Int>,
        contentType: UnsafeMutablePointer<UnsafePointer<CChar>?>
    ) -> Int32 {
        let (status, text): (Int32, [UInt8])
        switch url {
        case "/metrics":
            process.update()
            (status, text) = (200, telemetry.exposition())
            contentType.pointee = rs_http_prometheus_content_type()
        case "/":
            (status, text) = (200, Array("RecServe metrics: GET /metrics (Prometheus text format)\n".utf8))
        default:
            (status, text) = (404, Array("not found: metrics are at /metrics\n".utf8))
        }
        let buffer = malloc(max(text.count, 1))!.assumingMemoryBound(to: CChar.self)
        text.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { memcpy(buffer, source, text.count) }
        }
        body.pointee = buffer
        length.pointee = text.count
        return status
    }

    static func parse(_ bind: String) throws -> (host: String, port: UInt16) {
        let parts = bind.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            throw MetricsEndpointError(bind: bind, reason: "expected HOST:PORT, for example 0.0.0.0:9464")
        }
        return (parts[0].isEmpty ? "0.0.0.0" : String(parts[0]), port)
    }
}

public struct MetricsEndpointError: Error, CustomStringConvertible {
    public let bind: String
    public let reason: String
    public var description: String { "metrics endpoint '\(bind)': \(reason)" }
}
