/// Why the device SDK could not do what was asked. `code` says what kind of failure,
/// `message` what exactly.
public struct DeviceSDKError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: Equatable, Sendable {
        /// The local buffer holds as many messages (or bytes) as it may; nothing was queued.
        case bufferFull
        /// A key file that cannot be read or is not a device key file.
        case badKeyFile
        /// A file or folder could not be read or written.
        case io
        /// A content type, payload or option the envelope format does not allow.
        case invalidArgument
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
