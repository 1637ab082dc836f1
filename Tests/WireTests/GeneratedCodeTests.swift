import Foundation
import Testing

/// The committed protobuf-c code must be what scripts/generate-proto.sh makes from the .proto.
@Suite struct GeneratedCodeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let hasProtocC = ["/usr/bin/protoc-c", "/usr/local/bin/protoc-c"].contains { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(
        "committed protobuf-c code is fresh (needs protoc-c: apt-get install protobuf-c-compiler)",
        .enabled(if: hasProtocC))
    func committedProtobufCCodeIsFresh() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("proto-\(getpid())")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent("scripts/generate-proto.sh")
        process.arguments = [output.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for file in ["recserve.pb-c.c", "include/recserve.pb-c.h"] {
            let fresh = try String(contentsOf: output.appendingPathComponent(file), encoding: .utf8)
            let committed = try String(
                contentsOf: Self.root.appendingPathComponent("Shared/Transport/RecServeProtoC/\(file)"), encoding: .utf8)
            #expect(fresh == committed, "\(file) is stale: run scripts/generate-proto.sh and commit the result")
        }
    }
}
