import MoteChain
import MoteConsensus
import MoteCrypto
import MotePrimitives

/// A header the light client has proven final.
public struct FinalizedHeader: Equatable, Sendable {
    /// The header, decoded from the node's raw bytes.
    public let header: BlockHeader
    /// Its hash: keccak of the raw bytes, computed here, never taken from the node.
    public let hash: Hash32

    public var height: UInt64 { header.height }
}

/// The micro-miner's light-client check, without I/O: is the header at height h final?
///
/// It is when the header of h + 1 links to it (`parentHash` = keccak(header h)) and carries in
/// `parentCommit` a commit certificate for (h, keccak(header h)) with precommits of more than
/// 2/3 of the producers of epoch(h), each signature recovered and checked. When the client
/// already holds the final header of h − 1, header h must also link to it, so a chain of
/// checked headers cannot be spliced. The client stores none of this: only the last height.
///
/// Trust: the producer set of each epoch comes from the one node the device trusts
/// (`mote_epoch`); see docs/WITNESSING.md. With an honest producer set, a node cannot make the
/// device attest a block that is not final, nor a hash that is not the block's.
public enum FinalizedHeaderCheck {
    /// Checks `raw` (header h) against `rawNext` (header h + 1); returns the final header.
    ///
    /// - Parameters:
    ///   - height: the height asked for; the node's bytes must be that header.
    ///   - previous: the final header of h − 1 when the client has it.
    ///   - producers: epoch(h)'s producers, who sign certificates for heights in it.
    public static func verify(
        raw: [UInt8], rawNext: [UInt8], height: UInt64, previous: FinalizedHeader?, producers: [Address], chainID: UInt64,
        epochLength: UInt64
    ) throws(LightClientError) -> FinalizedHeader {
        guard height >= 1 else { throw LightClientError(.unverified, "the genesis header has no certificate") }
        let header: BlockHeader
        let next: BlockHeader
        do {
            header = try BlockHeader(encoded: raw)
            next = try BlockHeader(encoded: rawNext)
        } catch {
            throw LightClientError(.badAnswer, "header \(height) or \(height + 1) does not decode: \(error)")
        }
        guard header.height == height, next.height == height + 1 else {
            throw LightClientError(.unverified, "the node sent headers \(header.height) and \(next.height) for \(height) and \(height + 1)")
        }
        let hash = Keccak256.hash(raw)
        guard next.parentHash == hash else {
            throw LightClientError(.unverified, "header \(height + 1) does not link to header \(height) (parent hash mismatch)")
        }
        if let previous, previous.height + 1 == height, header.parentHash != previous.hash {
            throw LightClientError(.unverified, "header \(height) does not link to the final header \(height - 1)")
        }
        let epoch = epochLength == 0 ? 0 : (height - 1) / epochLength + 1
        guard header.epoch == epoch else {
            throw LightClientError(.unverified, "header \(height) claims epoch \(header.epoch), not \(epoch)")
        }
        let certificate: CommitCertificate
        do { certificate = try CommitCertificate(decoding: next.parentCommit) } catch {
            throw LightClientError(.unverified, "header \(height + 1) carries no readable commit certificate: \(error)")
        }
        guard certificate.height == height, certificate.blockHash == hash else {
            throw LightClientError(.unverified, "the certificate in header \(height + 1) is for another block")
        }
        guard producers.contains(header.producer) else {
            throw LightClientError(.unverified, "header \(height)'s producer \(header.producer) is not one of epoch \(epoch)'s producers")
        }
        do {
            try certificate.verify(validators: try ValidatorSet(producers), chainID: chainID)
        } catch {
            throw LightClientError(.unverified, "the certificate for block \(height) does not verify against epoch \(epoch)'s producers: \(error)")
        }
        return FinalizedHeader(header: header, hash: hash)
    }
}
