import Dispatch
import Foundation
import MotePrimitives

/// Checks many signatures at once, spread over several cores.
///
/// Each call splits its items into `4 × workers` contiguous chunks and deals them round-robin
/// to `workers` threads (`DispatchQueue.concurrentPerform`); every thread writes its results
/// straight into its own slots of one preallocated output array, so the hot loop takes no
/// lock and shares no counter. Results come back in input order and do not depend on the
/// number of workers or on scheduling: item i's result is the serial API's answer for item i.
public struct SignatureBatchVerifier: Sendable {
    /// Threads used per call; 1 runs everything on the calling thread.
    public let concurrency: Int

    /// A verifier using `concurrency` threads (at least 1); by default every active core.
    public init(concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.concurrency = max(1, concurrency)
    }

    /// A secp256k1 signature to check: `signature` over the 32-byte `hash` by `publicKey`.
    public struct Secp256k1Item: Sendable {
        /// The claimed signer.
        public var publicKey: Secp256k1.PublicKey
        /// The signature.
        public var signature: Secp256k1.Signature
        /// The signed digest.
        public var hash: Hash32
        /// Accept s > n/2 too (plain ECDSA); false enforces low-s (EIP-2).
        public var allowHighS: Bool

        /// An item; `allowHighS` defaults to false (EIP-2).
        public init(publicKey: Secp256k1.PublicKey, signature: Secp256k1.Signature, hash: Hash32, allowHighS: Bool = false) {
            self.publicKey = publicKey
            self.signature = signature
            self.hash = hash
            self.allowHighS = allowHighS
        }
    }

    /// A P-256 signature to check over a 32-byte digest (normally SHA-256 of the message).
    public struct P256Item: Sendable {
        /// The claimed signer.
        public var publicKey: P256Signing.PublicKey
        /// The signature r‖s.
        public var signature: P256Signing.Signature
        /// The signed digest.
        public var digest: Hash32

        /// An item.
        public init(publicKey: P256Signing.PublicKey, signature: P256Signing.Signature, digest: Hash32) {
            self.publicKey = publicKey
            self.signature = signature
            self.digest = digest
        }
    }

    /// An Ed25519 signature to check over a message.
    public struct Ed25519Item: Sendable {
        /// The claimed signer.
        public var publicKey: Ed25519.PublicKey
        /// The signature R‖s.
        public var signature: Ed25519.Signature
        /// The signed message.
        public var message: [UInt8]

        /// An item.
        public init(publicKey: Ed25519.PublicKey, signature: Ed25519.Signature, message: [UInt8]) {
            self.publicKey = publicKey
            self.signature = signature
            self.message = message
        }
    }

    /// The signer of each (hash, signature), as `Secp256k1.recover` gives it, or nil where
    /// recovery fails. High s is accepted, as `recover` does; check `isLowS` first where
    /// EIP-2 applies.
    public func recoverSecp256k1(
        _ items: [(hash: Hash32, signature: Secp256k1.RecoverableSignature)]
    ) -> [Secp256k1.PublicKey?] {
        map(items) { item in try? Secp256k1.recover(hash: item.hash, signature: item.signature) }
    }

    /// Whether each secp256k1 item verifies (`Secp256k1.PublicKey.isValidSignature`).
    public func verifySecp256k1(_ items: [Secp256k1Item]) -> [Bool] {
        map(items) { $0.publicKey.isValidSignature($0.signature, hash: $0.hash, allowHighS: $0.allowHighS) }
    }

    /// Whether each P-256 item verifies (`P256Signing.PublicKey.isValidSignature(_:forDigest:)`).
    public func verifyP256(_ items: [P256Item]) -> [Bool] {
        map(items) { $0.publicKey.isValidSignature($0.signature, forDigest: $0.digest) }
    }

    /// Whether each Ed25519 item verifies (`Ed25519.PublicKey.isValidSignature(_:for:)`).
    public func verifyEd25519(_ items: [Ed25519Item]) -> [Bool] {
        map(items) { $0.publicKey.isValidSignature($0.signature, for: $0.message) }
    }

    /// `items.map(transform)`, computed on up to `concurrency` threads, results in input order.
    /// For other per-item work that should spread over the cores the same way (decoding a batch).
    public func concurrentMap<Item: Sendable, Output>(
        _ items: [Item], _ transform: @escaping @Sendable (Item) -> Output
    ) -> [Output] {
        map(items, transform)
    }

    /// `items.map(transform)`, computed on up to `concurrency` threads.
    private func map<Item: Sendable, Output>(
        _ items: [Item], _ transform: @escaping @Sendable (Item) -> Output
    ) -> [Output] {
        let count = items.count
        let workers = min(concurrency, count)
        if workers <= 1 { return items.map(transform) }
        let chunkCount = min(count, workers * 4)
        return [Output](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            let output = OutputSlots(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                items.withUnsafeBufferPointer { input in
                    var chunk = worker
                    while chunk < chunkCount {
                        // Chunk c covers [c·count/chunks, (c+1)·count/chunks): contiguous, disjoint, complete.
                        let start = chunk * count / chunkCount
                        let end = (chunk + 1) * count / chunkCount
                        for index in start..<end {
                            (output.base + index).initialize(to: transform(input[index]))
                        }
                        chunk += workers
                    }
                }
            }
            initializedCount = count
        }
    }
}

/// The output array's storage, shared by the worker threads of one `map` call.
///
/// `@unchecked Sendable`: each index is written by exactly one worker (chunks are disjoint),
/// nothing reads a slot until `concurrentPerform` has returned, and that return orders all
/// the writes before the caller's reads.
private struct OutputSlots<Output>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Output>
}
