import MoteCrypto
import MotePrimitives
import MoteTransactions

/// A delegate's operator account as the sender of the transactions the node sends on its own
/// behalf (double-signing reports, attestation batches): priced by the one fee policy
/// (`FeePolicy`) and signed here, so the node only decides what to send and when.
struct OperatorAccount: Sendable {
    let key: Secp256k1.PrivateKey
    let chainID: UInt64

    /// The account's address.
    var address: Address { key.address }

    /// A signed EIP-1559 call of `to` with `data` (no value), raw; nil if the fee cap overflows.
    func call(_ to: Address, data: [UInt8], gas: UInt64, nonce: UInt64, nextBaseFee: UInt256) -> [UInt8]? {
        let tip = FeePolicy.defaultTip
        guard let maxFee = FeePolicy.maxFee(baseFee: nextBaseFee, tip: tip) else { return nil }
        return Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: maxFee, gasLimit: gas, to: to, value: .zero, data: data
        ).signed(with: key).rawBytes
    }
}
