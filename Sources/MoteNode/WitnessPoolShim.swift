// TEMPORARY: stands in for MoteLedger's WitnessPoolContract (branch poa-chain) until it is merged; deleted then.
import MoteCrypto
import MoteLedger
import MotePrimitives

package enum WitnessPoolContract {
    package static let address = SystemContracts.reservedAddress(6)
    package static let joinAsDevice = SystemFunction(
        "joinAsDevice", inputs: [("deviceId", "address"), ("witnessKey", "bytes32"), ("possession", "bytes")], mutating: true)
    package static let submitAttestations = SystemFunction("submitAttestations", inputs: [("attestations", "bytes[]")], mutating: true)
    package static let witnessOutputs: [(String, String)] = [
        ("kind", "uint8"), ("witnessKey", "bytes32"), ("owner", "address"), ("reputation", "uint64"), ("blacklistedUntil", "uint64"),
        ("joinedAt", "uint64"), ("accepted", "uint64"), ("incoherent", "uint64"), ("earned", "uint256"), ("active", "bool"),
    ]
    package static let witness = SystemFunction("witness", inputs: [("id", "address")], outputs: witnessOutputs, mutating: false)
    package static let witnessByKey = SystemFunction(
        "witnessByKey", inputs: [("witnessKey", "bytes32")], outputs: [("id", "address")], mutating: false)
    package static let epochWeights = SystemFunction(
        "epochWeights", inputs: [("epoch", "uint64"), ("id", "address")], outputs: [("weight", "uint64"), ("totalWeight", "uint64")],
        mutating: false)
    package static let witnessParameters = SystemFunction(
        "witnessParameters",
        outputs: [("expectedWitnesses", "uint64"), ("threshold", "uint64"), ("attestationReward", "uint256"),
                  ("blacklistBlocks", "uint64"), ("attestationWindow", "uint64")],
        mutating: false)
    package static func possessionProof(key: ECVRF.SecretKey, chainID: UInt64, witnessID: Address, owner: Address) -> [UInt8] {
        let signer = try! Ed25519.PrivateKey(seed: key.seed)
        return signer.signature(for: Array("MOTE-WITNESS-KEY-V1".utf8) + chainID.bigEndianBytes8 + witnessID.bytes + owner.bytes).bytes
    }
}
