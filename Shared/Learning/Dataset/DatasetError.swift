/// A dataset file that cannot be used; the message names the file, the line and what was wrong.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
