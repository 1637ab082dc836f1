import ArgumentParser
import Foundation
import ZeroMQ

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: NAME.key (secret, mode 600) and NAME.pub (public, to share).",
        discussion: "The gateway takes its NAME.key with --curve-key and the clients' .pub lines in --curve-allowed-clients.")

    @Option(help: "Folder to write into.")
    var output = "keys"
    @Option(help: "File name stem.")
    var name: String

    func run() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let keys = try CurveKeyPair.generate()
        let secretPath = "\(output)/\(name).key"
        let publicPath = "\(output)/\(name).pub"
        guard FileManager.default.createFile(atPath: secretPath, contents: Data(keys.fileText.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw ValidationError("cannot write \(secretPath)")
        }
        try CurveKeyPair(publicKey: keys.publicKey, secretKey: nil).fileText.write(toFile: publicPath, atomically: true, encoding: .utf8)
        print("wrote \(secretPath) (keep private) and \(publicPath): public key \(keys.publicKey)")
    }
}

/// Flags for talking to a gateway that requires CURVE.
struct CurveClientOptions: ParsableArguments {
    @Option(help: "The gateway's public key file (NAME.pub from `recctl keys`), to connect with CURVE.")
    var curveServerKey: String?
    @Option(help: "This client's key file (NAME.key, with its secret key); the gateway must allow it.")
    var curveKey: String?

    func validate() throws {
        guard (curveServerKey == nil) == (curveKey == nil) else {
            throw ValidationError("--curve-server-key and --curve-key go together")
        }
    }

    func load() throws -> CurveClientSettings? {
        guard let curveServerKey, let curveKey else { return nil }
        return CurveClientSettings(
            serverPublicKey: try CurveKeyPair.load(path: curveServerKey).publicKey, keys: try CurveKeyPair.load(path: curveKey))
    }
}
