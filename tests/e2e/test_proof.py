"""eth_getProof: the account's fields match eth_getBalance / eth_getTransactionCount, and the
account proof verifies against a block's stateRoot with a Merkle Patricia Trie walk done here
(keccak from eth-utils, RLP from the rlp package that web3 depends on)."""

import json

import rlp
from eth_account import Account
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3

from mote_e2e import CHAIN_ID, GWEI, RECEIPT_TIMEOUT, REGISTRY_ABI_PATH, REGISTRY_ADDRESS, sign

EMPTY_TRIE_ROOT = HexBytes("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
EMPTY_CODE_HASH = HexBytes(keccak(b""))


def big_endian(n: int) -> bytes:
    """An integer as RLP stores it: big-endian, no leading zeros (0 is empty)."""
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def nibbles(key: bytes) -> list[int]:
    out = []
    for byte in key:
        out += [byte >> 4, byte & 0x0F]
    return out


def decode_path(encoded: bytes) -> tuple[list[int], bool]:
    """Hex-prefix decoding: the nibbles and whether the node is a leaf."""
    flag = encoded[0] >> 4
    path = nibbles(encoded)[1 if flag & 1 else 2:]
    return path, bool(flag & 2)


def verify(root: bytes, key: bytes, proof: list[bytes]) -> bytes | None:
    """The value stored at keccak(key) under `root`, proven by `proof` (None: proven absent).
    Raises AssertionError if the proof does not prove either."""
    path = nibbles(keccak(key))
    wanted = bytes(root)
    nodes = iter(proof)
    node = None
    while True:
        if node is None:
            encoded = next(nodes, None)
            assert encoded is not None, "the proof ended before the key's leaf"
            assert keccak(encoded) == wanted, "a proof node does not hash to its reference"
            node = rlp.decode(encoded)
        if len(node) == 17:
            if not path:
                return node[16] or None
            child, path = node[path[0]], path[1:]
        elif len(node) == 2:
            segment, leaf = decode_path(node[0])
            if leaf:
                return node[1] if segment == path else None
            if path[: len(segment)] != segment:
                return None
            child, path = node[1], path[len(segment):]
        else:
            raise AssertionError(f"a trie node of {len(node)} items")
        if child == b"":
            return None
        if isinstance(child, list):  # a node of under 32 bytes, embedded in its parent
            node = child
        else:
            assert len(child) == 32, child
            wanted, node = bytes(child), None


def proof_and_root(w3, address):
    """A proof and the stateRoot it was made against: asked together in one batch, retried if a
    block landed in between."""
    for _ in range(20):
        with w3.batch_requests() as batch:
            batch.add(w3.eth.get_block("latest"))
            batch.add(w3.eth.get_proof(address, [], "latest"))
            batch.add(w3.eth.get_balance(address))
            batch.add(w3.eth.get_transaction_count(address))
            batch.add(w3.eth.get_block("latest"))
            before, proof, balance, nonce, after = batch.execute()
        if before["hash"] == after["hash"]:
            return proof, before, balance, nonce
    raise AssertionError("no batch fell within one block")


def test_proof_of_a_funded_account(w3, account):
    # Give the account a nonce and a balance that are not the genesis ones.
    tx = sign(account, nonce=0, to=Account.create().address, value=10**18, type=2,
              maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)
    w3.eth.send_raw_transaction(tx.raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(tx.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)["status"] == 1

    proof, block, balance, nonce = proof_and_root(w3, account.address)
    assert proof["address"] == account.address
    assert proof["balance"] == balance == w3.eth.get_balance(account.address)
    assert proof["nonce"] == nonce == 1
    assert proof["codeHash"] == EMPTY_CODE_HASH
    assert proof["storageHash"] == EMPTY_TRIE_ROOT
    assert proof["storageProof"] == []
    assert len(proof["accountProof"]) >= 1

    leaf = verify(block["stateRoot"], bytes.fromhex(account.address[2:]), [bytes(n) for n in proof["accountProof"]])
    assert leaf is not None, "the proof shows the account absent"
    assert rlp.decode(leaf) == [
        big_endian(proof["nonce"]),
        big_endian(proof["balance"]),
        bytes(proof["storageHash"]),
        bytes(proof["codeHash"]),
    ]


def test_proof_of_an_absent_account(w3):
    nobody = Account.create().address
    proof, block, balance, nonce = proof_and_root(w3, nobody)
    assert proof["balance"] == balance == 0 and proof["nonce"] == nonce == 0
    assert verify(block["stateRoot"], bytes.fromhex(nobody[2:]), [bytes(n) for n in proof["accountProof"]]) is None


def test_proof_with_storage_keys_of_the_registry(w3, account):
    """The registry keeps its node count in a storage slot, keccak256("nodeCount" ‖ 0x00), as a
    Solidity short `bytes` (the count's big-endian bytes, left-aligned, 2 × length in the lowest
    byte; docs/SYSTEM_CONTRACTS.md): after a registration, the proof of that slot verifies
    against the registry account's storageHash, which the account proof verifies against the
    state root."""
    abi = json.loads(REGISTRY_ABI_PATH.read_text())
    registry = w3.eth.contract(address=Web3.to_checksum_address(REGISTRY_ADDRESS), abi=abi)
    tx = registry.functions.register("proof-node", "").build_transaction({
        "from": account.address, "nonce": 0, "chainId": CHAIN_ID, "gas": 200_000,
        "maxPriorityFeePerGas": GWEI, "maxFeePerGas": 4 * GWEI})
    signed = account.sign_transaction(tx)
    w3.eth.send_raw_transaction(signed.raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(signed.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)["status"] == 1

    slot = keccak(b"nodeCount" + b"\x00")
    for _ in range(20):
        with w3.batch_requests() as batch:
            batch.add(w3.eth.get_block("latest"))
            batch.add(w3.eth.get_proof(REGISTRY_ADDRESS, ["0x" + slot.hex()], "latest"))
            batch.add(w3.eth.get_storage_at(REGISTRY_ADDRESS, "0x" + slot.hex()))
            batch.add(registry.functions.nodeCount())
            batch.add(w3.eth.get_block("latest"))
            before, proof, word, count, after = batch.execute()
        if before["hash"] == after["hash"]:
            break
    assert count >= 1
    word = bytes(word).rjust(32, b"\x00")
    length = word[31] // 2
    assert word[31] % 2 == 0 and 1 <= length <= 31 and word[length:31] == bytes(31 - length)
    assert int.from_bytes(word[:length], "big") == count
    assert len(proof["storageProof"]) == 1
    entry = proof["storageProof"][0]
    assert HexBytes(entry["key"]) == HexBytes(slot)
    assert bytes(entry["value"]).rjust(32, b"\x00") == word

    leaf = verify(before["stateRoot"], bytes.fromhex(REGISTRY_ADDRESS[2:]), [bytes(n) for n in proof["accountProof"]])
    assert leaf is not None
    assert rlp.decode(leaf)[2] == bytes(proof["storageHash"])
    stored = verify(proof["storageHash"], slot, [bytes(n) for n in entry["proof"]])
    assert stored is not None, "the storage proof shows the slot empty"
    assert rlp.decode(stored) == word.lstrip(b"\x00")
