"""eth_getLogs ranges and errors, block and pending-transaction filters."""

import pytest
from eth_account import Account
from web3.exceptions import Web3RPCError

from mote_e2e import GWEI, RECEIPT_TIMEOUT, rpc_error, sign, wait_until


def test_get_logs_over_a_range_is_a_list_and_transfers_emit_none(w3, account):
    tx = sign(account, nonce=0, to=Account.create().address, value=1, type=2,
              maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)
    w3.eth.send_raw_transaction(tx.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["logs"] == []
    block = receipt["blockNumber"]
    logs = w3.eth.get_logs({"fromBlock": max(0, block - 20), "toBlock": block})
    assert isinstance(logs, list)
    assert all(log["transactionHash"] != tx.hash for log in logs)
    by_hash = w3.eth.get_logs({"blockHash": receipt["blockHash"]})
    assert [log for log in by_hash if log["transactionHash"] == tx.hash] == []
    # The whole chain so far (well under the 10,000-block limit): a list, every log well formed.
    everything = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"})
    for log in everything:
        assert log["blockNumber"] <= w3.eth.block_number and len(log["topics"]) <= 4


def test_get_logs_range_bounds(devnet, w3):
    url = devnet.http_urls[0]
    head = w3.eth.block_number
    # fromBlock above toBlock is refused.
    error = rpc_error(url, "eth_getLogs", {"fromBlock": hex(head), "toBlock": hex(head - 1)})
    assert error["code"] == -32602
    assert error["message"].startswith("invalid block range params"), error
    with pytest.raises(Web3RPCError) as info:
        w3.eth.get_logs({"fromBlock": 5, "toBlock": 3})
    assert "invalid block range params" in str(info.value)
    # A range that starts above the head finds nothing.
    assert w3.eth.get_logs({"fromBlock": head + 1_000, "toBlock": head + 2_000}) == []
    # A toBlock beyond the head is clamped to the head (as go-ethereum does): the 20,001-block
    # range spans fewer than 10,000 existing blocks, so it is no error. (The range limit
    # itself is checked on a node configured with max_log_range = 5: test_limits.py.)
    assert isinstance(w3.eth.get_logs({"fromBlock": 0, "toBlock": head + 20_000}), list)
    # Both blockHash and a range: refused.
    block_hash = w3.eth.get_block("latest")["hash"]
    error = rpc_error(url, "eth_getLogs", {"blockHash": "0x" + block_hash.hex().removeprefix("0x"), "fromBlock": "0x1"})
    assert error["code"] == -32602
    # An unknown block hash.
    error = rpc_error(url, "eth_getLogs", {"blockHash": "0x" + "11" * 32})
    assert error["code"] == -32001, error
    # Too many topic positions.
    error = rpc_error(url, "eth_getLogs", {"topics": [None] * 5})
    assert error["code"] == -32602


def test_block_filter_sees_new_blocks(w3):
    filter_id = w3.eth.filter("latest").filter_id
    start = w3.eth.block_number
    seen = []

    def poll():
        seen.extend(w3.eth.get_filter_changes(filter_id))
        return len(seen) >= 3

    wait_until(poll, timeout=30, interval=0.2, what="three new block hashes")
    numbers = [w3.eth.get_block(h)["number"] for h in seen]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    assert numbers[0] > start - 1
    for block_hash, number in zip(seen, numbers):
        assert w3.eth.get_block(number)["hash"] == block_hash
    # Each poll only reports what came since the last one.
    wait_until(lambda: w3.eth.block_number > numbers[-1], what="one more block")
    later = w3.eth.get_filter_changes(filter_id)
    assert later and not set(later) & set(seen)
    assert w3.eth.get_block(later[0])["number"] == numbers[-1] + 1

    assert w3.eth.uninstall_filter(filter_id) is True
    assert w3.eth.uninstall_filter(filter_id) is False
    with pytest.raises(Web3RPCError) as info:
        w3.eth.get_filter_changes(filter_id)
    assert "filter not found" in str(info.value)


def test_pending_transaction_filter(w3, account):
    filter_id = w3.eth.filter("pending").filter_id
    tx = sign(account, nonce=0, to=Account.create().address, value=1, type=2,
              maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)
    w3.eth.send_raw_transaction(tx.raw_transaction)
    seen = []

    def poll():
        seen.extend(w3.eth.get_filter_changes(filter_id))
        return tx.hash in seen

    wait_until(poll, timeout=15, interval=0.1, what="the sent transaction's hash in the pending filter")
    assert w3.eth.uninstall_filter(filter_id) is True
    w3.eth.wait_for_transaction_receipt(tx.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
