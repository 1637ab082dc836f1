import CZmq
import Foundation

/// A CURVE key pair in Z85 text (40 characters each), as libzmq makes and takes them.
public struct CurveKeyPair: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String?

    public init(publicKey: String, secretKey: String?) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh pair from libzmq (libsodium underneath).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError("zmq_curve_keypair") }
        func text(_ z85: [CChar]) -> String { String(decoding: z85.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CurveKeyPair(publicKey: text(publicKey), secretKey: text(secretKey))
    }

    /// File form: `public-key = "…"` and, for a secret file, `secret-key = "…"`.
    public var fileText: String {
        var text = "# RecServe CURVE key (Z85). Keep files with a secret-key private.\npublic-key = \"\(publicKey)\"\n"
        if let secretKey { text += "secret-key = \"\(secretKey)\"\n" }
        return text
    }

    /// Public keys from a file: one per line, bare or as `public-key = "…"`; `#` starts a comment.
    public static func loadPublicKeys(path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CurveKeyError(.unreadable, path: path, "cannot read the allowed-keys file")
        }
        return try text.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            // Z85 keys may contain "=", so only a `public-key = "…"` line is split.
            let value = trimmed.hasPrefix("public-key") ? String(trimmed.split(separator: "=", maxSplits: 1).last ?? "") : trimmed
            let key = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"").union(.whitespaces))
            guard rawBytes(z85: key) != nil else { throw CurveKeyError(.malformed, path: path, "'\(key)' is not a Z85 public key") }
            return key
        }
    }

    public static func load(path: String) throws -> CurveKeyPair {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CurveKeyError(.unreadable, path: path, "cannot read key file (make keys with `recctl keys`)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        guard let publicKey = values["public-key"], publicKey.count == 40 else {
            throw CurveKeyError(.malformed, path: path, "no 40-character public-key line")
        }
        if let secret = values["secret-key"], secret.count != 40 {
            throw CurveKeyError(.malformed, path: path, "secret-key must be 40 Z85 characters")
        }
        return CurveKeyPair(publicKey: publicKey, secretKey: values["secret-key"])
    }

    /// The 32 raw bytes of a Z85 key (what ZAP requests carry), nil if not valid Z85.
    public static func rawBytes(z85 key: String) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 32)
        guard key.count == 40, zmq_z85_decode(&out, key) != nil else { return nil }
        return out
    }
}

/// A key file that cannot be used, naming the file and what is wrong with it.
public struct CurveKeyError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case unreadable
        case malformed
        case missingSecretKey
    }

    public let code: Code
    public let path: String
    public let reason: String

    public init(_ code: Code, path: String, _ reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

extension Socket {
    /// Makes this socket a CURVE server: clients must know `keys.publicKey`, and the ZAP handler
    /// admits only keys allowed in `domain`.
    public func makeCurveServer(_ keys: CurveKeyPair, domain: String) throws(ZMQError) {
        try setInt(ZMQ_CURVE_SERVER, 1)
        try setBytes(ZMQ_CURVE_SECRETKEY, Array((keys.secretKey ?? "").utf8))
        // A ZAP domain makes libzmq consult the ZAP handler for every connection.
        try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8))
    }

    /// Applies server settings when there are any (plaintext otherwise).
    public func applyCurve(_ settings: CurveServerSettings?) throws(ZMQError) {
        guard let settings else { return }
        try makeCurveServer(settings.keys, domain: settings.domain)
    }

    /// Makes this socket a CURVE client of a server with public key `serverKey`.
    public func makeCurveClient(serverKey: String, keys: CurveKeyPair) throws(ZMQError) {
        try setBytes(ZMQ_CURVE_SERVERKEY, Array(serverKey.utf8))
        try setBytes(ZMQ_CURVE_PUBLICKEY, Array(keys.publicKey.utf8))
        try setBytes(ZMQ_CURVE_SECRETKEY, Array((keys.secretKey ?? "").utf8))
    }
}
