"""Chain identity and blocks, read with web3.py over HTTP."""

from hexbytes import HexBytes
from web3 import Web3

from mote_e2e import CHAIN_ID, call, wait_until

HEADER_FIELDS = [
    "hash", "parentHash", "number", "timestamp", "miner", "gasLimit", "gasUsed", "baseFeePerGas",
    "transactionsRoot", "stateRoot", "receiptsRoot", "logsBloom",
]


def test_chain_id_and_versions(w3, w3_nodes):
    for node in w3_nodes:
        assert node.eth.chain_id == CHAIN_ID == 4689
        assert node.net.version == "4689"
        version = node.client_version
        assert version.startswith("Mote/"), version
    assert call(w3.provider.endpoint_uri, "eth_chainId") == "0x1251"
    assert w3.net.listening is True
    assert w3.net.peer_count == 3  # a 4-node devnet: every node dials the other three
    assert w3.eth.syncing is False
    assert w3.eth.accounts == []


def test_block_numbers_advance_on_every_node(w3_nodes):
    start = [node.eth.block_number for node in w3_nodes]
    assert all(n > 0 for n in start), start
    for node, first in zip(w3_nodes, start):
        wait_until(lambda: node.eth.block_number >= first + 2, timeout=30, what="two more blocks")
    # Every node has the same block at a height all of them passed.
    height = min(node.eth.block_number for node in w3_nodes)
    hashes = {node.eth.get_block(height)["hash"] for node in w3_nodes}
    assert len(hashes) == 1, hashes


def test_block_by_tag_number_and_hash_agree(w3):
    latest = w3.eth.get_block("latest")
    for key in HEADER_FIELDS:
        assert key in latest, f"block lacks {key}: {dict(latest)}"
    number = latest["number"]
    by_number = w3.eth.get_block(number)
    by_hash = w3.eth.get_block(latest["hash"])
    assert dict(by_number) == dict(latest)
    assert dict(by_hash) == dict(latest)
    assert isinstance(latest["hash"], HexBytes) and len(latest["hash"]) == 32
    assert len(latest["logsBloom"]) == 256
    assert Web3.is_checksum_address(latest["miner"])
    assert latest["gasLimit"] == 200_000_000  # the devnet default
    assert 0 <= latest["gasUsed"] <= latest["gasLimit"]
    assert latest["baseFeePerGas"] > 0

    parent = w3.eth.get_block(number - 1)
    assert latest["parentHash"] == parent["hash"]
    assert latest["timestamp"] >= parent["timestamp"]
    assert parent["number"] == number - 1

    genesis = w3.eth.get_block("earliest")
    assert genesis["number"] == 0
    assert dict(w3.eth.get_block(0)) == dict(genesis)


def test_finalized_and_safe_are_latest(w3):
    """Instant finality: 'finalized' and 'safe' name the latest block. Asked in one batch; a
    block may land between two requests of it, so one block of difference is tolerated."""
    with w3.batch_requests() as batch:
        batch.add(w3.eth.get_block("latest"))
        batch.add(w3.eth.get_block("finalized"))
        batch.add(w3.eth.get_block("safe"))
        batch.add(w3.eth.get_block("latest"))
        latest, finalized, safe, latest_again = batch.execute()
    for block in (finalized, safe):
        assert latest["number"] <= block["number"] <= latest_again["number"]
        assert block["hash"] == w3.eth.get_block(block["number"])["hash"]
    assert latest_again["number"] - latest["number"] <= 1


def test_block_with_full_transactions_of_an_empty_block(w3):
    block = w3.eth.get_block("latest", full_transactions=True)
    assert isinstance(block["transactions"], list)
    assert block["uncles"] == []
    assert w3.eth.get_block_transaction_count(block["number"]) == len(block["transactions"])


def test_unknown_block_is_none_for_web3(w3):
    from web3.exceptions import BlockNotFound

    import pytest

    with pytest.raises(BlockNotFound):
        w3.eth.get_block(10**9)
    with pytest.raises(BlockNotFound):
        w3.eth.get_block("0x" + "ab" * 32)
