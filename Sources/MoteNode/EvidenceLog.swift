import Foundation
import MoteConsensus
import MotePrimitives

/// Double-signing evidence, one hex-encoded `DoubleSignEvidence` a line, appended and
/// fsynced before the node acts on it (reports it on chain). No path: nothing is kept.
public struct EvidenceLog: Sendable {
    /// The file, created on the first append.
    public let path: String?

    public init(path: String?) { self.path = path }

    /// Appends `evidence` and makes it durable.
    public func append(_ evidence: DoubleSignEvidence) throws {
        guard let path else { return }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NodeConfigError("cannot open \(path): errno \(errno)") }
        defer { close(descriptor) }
        let line = Array((Hex.encode(evidence.encoded()) + "\n").utf8)
        var written = 0
        while written < line.count {
            let count = line[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw NodeConfigError("cannot write \(path): errno \(errno)") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw NodeConfigError("cannot fsync \(path): errno \(errno)") }
    }

    /// The evidence in the log, oldest first.
    public func read() throws -> [DoubleSignEvidence] {
        guard let path, let data = FileManager.default.contents(atPath: path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            try DoubleSignEvidence(decoding: try [UInt8](hex: String(line)))
        }
    }
}
