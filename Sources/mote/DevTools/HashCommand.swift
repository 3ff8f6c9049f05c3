import ArgumentParser
import MoteCrypto
import MotePrimitives

/// `mote hash keccak <hex>`.
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash", abstract: "Hash bytes.", subcommands: [Keccak.self, SHA256.self])

    struct Keccak: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keccak-256 of hex bytes (0x optional).")
        @Argument(help: "The input as hex, e.g. 0x68656c6c6f.") var hex: String

        func run() throws {
            guard hex.utf8.count <= 2 * 16 * 1024 * 1024 else { throw ValidationError("input over 16 MiB") }
            do { print(Keccak256.hash(try Hex.decode(hex)).hex) } catch { throw ValidationError("\(error)") }
        }
    }

    struct SHA256: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sha256", abstract: "SHA-256 of hex bytes.")
        @Argument(help: "The input as hex.") var hex: String

        func run() throws {
            guard hex.utf8.count <= 2 * 16 * 1024 * 1024 else { throw ValidationError("input over 16 MiB") }
            do { print(SHA256Digest.hash(try Hex.decode(hex)).hex) } catch { throw ValidationError("\(error)") }
        }
    }
}
