import MoteChain
import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteStorage

/// The block-validity rules, beside the ledger: whether a proposed block may be voted for on
/// top of the ledger's head. A valid block extends the head, carries the parent's commit
/// certificate signed by the parent epoch's producers, is produced by one of its epoch's
/// producers with the VRF proof that delegate registered for, and re-executes to the roots in
/// its header. No clock and no I/O: every node given the same chain judges a block the same.
public struct BlockValidator: Sendable {
    /// The chain id the certificates are signed for.
    public let chainID: UInt64
    /// The delegates' ECVRF public keys, by operator address (from the genesis).
    public let vrfKeys: [Address: ECVRF.PublicKey]

    /// Rules for the chain of `genesis`, with the VRF keys its delegates registered.
    public init(genesis: Genesis) throws(BlockValidityError) {
        var vrfKeys: [Address: ECVRF.PublicKey] = [:]
        for delegate in genesis.delegates where !delegate.vrfPublicKey.isEmpty {
            do { vrfKeys[delegate.operatorAddress] = try ECVRF.PublicKey(bytes: delegate.vrfPublicKey) } catch {
                throw BlockValidityError("the genesis registers an invalid VRF key for \(delegate.operatorAddress.checksummed)")
            }
        }
        chainID = genesis.chainID
        self.vrfKeys = vrfKeys
    }

    /// Checks `block` against `ledger`'s head and re-executes it; returns the execution, ready
    /// to commit, or throws why the block is invalid.
    public func check(_ block: Block, on ledger: Ledger) throws(BlockValidityError) -> BlockCommit {
        let height = block.height
        guard height == ledger.head.height + 1 else { throw BlockValidityError("block \(height) does not extend head \(ledger.head.height)") }
        if height > 1 {
            guard let parent = try? CommitCertificate(decoding: block.header.parentCommit), parent.height == height - 1,
                parent.blockHash == ledger.head.hash
            else { throw BlockValidityError("block \(height) does not carry the head's commit certificate") }
            guard let parentValidators = validators(forHeight: height - 1, ledger: ledger),
                (try? parent.verify(validators: parentValidators, chainID: chainID)) != nil
            else { throw BlockValidityError("block \(height): the parent's certificate does not verify") }
        }
        guard let validators = validators(forHeight: height, ledger: ledger), validators.contains(block.header.producer) else {
            throw BlockValidityError("block \(height): \(block.header.producer.checksummed) is not a producer of its epoch")
        }
        guard block.header.epoch == ledger.schedule.epoch(ofHeight: height) else {
            throw BlockValidityError("block \(height): epoch \(block.header.epoch) is not the epoch of its height")
        }
        guard vrfProofIsValid(block.header, ledger: ledger) else { throw BlockValidityError("block \(height): invalid VRF proof") }
        do { return try ledger.execute(block) } catch { throw BlockValidityError("block \(height) does not re-execute: \(error)") }
    }

    /// A delegate with a registered VRF key must prove its VRF over the epoch seed and height;
    /// one without must leave the proof empty.
    public func vrfProofIsValid(_ header: BlockHeader, ledger: Ledger) -> Bool {
        guard let publicKey = vrfKeys[header.producer] else { return header.vrfProof.isEmpty }
        guard let seed = try? ledger.seed(ofEpoch: header.epoch),
            let proof = try? ECVRF.Proof(bytes: header.vrfProof)
        else { return false }
        let alpha = EpochSchedule.vrfInput(seed: seed, height: header.height)
        return (try? ECVRF.verify(publicKey: publicKey, alpha: alpha, proof: proof, suite: .tai)) != nil
    }

    /// The producers of the epoch of `height`, who sign its certificates; nil if unknown.
    public func validators(forHeight height: UInt64, ledger: Ledger) -> ValidatorSet? {
        (try? ledger.producers(ofEpoch: ledger.schedule.epoch(ofHeight: height))).flatMap { try? ValidatorSet($0) }
    }
}

/// Why a block is invalid.
public struct BlockValidityError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
