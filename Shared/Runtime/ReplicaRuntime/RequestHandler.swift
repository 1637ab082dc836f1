/// Turns one request payload into one reply payload; runs on a compute thread it owns.
///
/// Implementations decode, validate and compute, and always return a reply (an error reply when
/// anything is wrong); they never throw, so no request is answered with silence.
public protocol RequestHandler: AnyObject {
    func handle(_ payload: UnsafeRawBufferPointer) -> [UInt8]
}
