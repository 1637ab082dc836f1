/// A request message a service receives: decodable from bytes, with the header every request has.
///
/// Lets one preamble (size check, decode, deadline) serve every handler (`RequestPreamble`).
public protocol ServiceRequest: Sendable {
    init(decoding bytes: UnsafeRawBufferPointer) throws(WireError)
    var header: RequestHeader { get }
}

extension RecommendRequest: ServiceRequest {}
extension EncodeRequest: ServiceRequest {}
extension ScoreRequest: ServiceRequest {}
extension LookupRequest: ServiceRequest {}
extension PushRequest: ServiceRequest {}
extension GenerateRequest: ServiceRequest {}
