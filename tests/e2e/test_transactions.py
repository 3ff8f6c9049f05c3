"""Transfers of every transaction type signed by eth-account and sent with
eth_sendRawTransaction; receipts, balances, nonces and every way to read them back."""

import pytest
from eth_account import Account
from hexbytes import HexBytes

from mote_e2e import CHAIN_ID, GWEI, RECEIPT_TIMEOUT, call, sign, wait_until

TYPES = {
    "legacy": 0,
    "eip2930": 1,
    "eip1559": 2,
}


def fee_fields(w3, kind: str) -> dict:
    if kind == "legacy":
        return {"gasPrice": 2 * w3.eth.gas_price}
    if kind == "eip2930":
        return {"type": 1, "gasPrice": 2 * w3.eth.gas_price, "accessList": []}
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    return {"type": 2, "maxPriorityFeePerGas": 2 * GWEI, "maxFeePerGas": 2 * base + 2 * GWEI}


@pytest.mark.parametrize("kind", list(TYPES))
def test_transfer(w3, w3_nodes, account, kind):
    sender = account.address
    recipient = Account.create().address
    value = 12_345 * 10**12 + TYPES[kind]
    assert w3.eth.get_transaction_count(sender) == 0
    assert w3.eth.get_balance(recipient) == 0
    before = w3.eth.get_balance(sender)
    assert before == 10**24  # 1,000,000 MOTE

    fees = fee_fields(w3, kind)
    signed = sign(account, nonce=0, to=recipient, value=value, **fees)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    assert tx_hash == signed.hash
    assert w3.eth.get_transaction_count(sender, "pending") == 1

    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1
    assert receipt["transactionHash"] == tx_hash
    assert receipt["gasUsed"] == 21_000
    assert receipt["from"] == sender
    assert receipt["to"] == recipient
    assert receipt["type"] == TYPES[kind]
    assert receipt["contractAddress"] is None
    assert receipt["logs"] == []
    assert receipt["cumulativeGasUsed"] >= 21_000
    block = w3.eth.get_block(receipt["blockNumber"])
    assert block["hash"] == receipt["blockHash"]
    assert tx_hash in block["transactions"]
    assert block["transactions"].index(tx_hash) == receipt["transactionIndex"]
    if kind == "eip1559":
        expected_price = min(fees["maxFeePerGas"], block["baseFeePerGas"] + fees["maxPriorityFeePerGas"])
    else:
        expected_price = fees["gasPrice"]
    assert receipt["effectiveGasPrice"] == expected_price

    # Exact balances: the sender pays value + gasUsed × effectiveGasPrice, the recipient gets value.
    assert w3.eth.get_balance(recipient) == value
    assert w3.eth.get_balance(sender) == before - value - 21_000 * expected_price
    assert w3.eth.get_transaction_count(sender, "latest") == 1
    assert w3.eth.get_transaction_count(sender, "pending") == 1

    # The transaction, by hash and by block and index (number and hash).
    tx = w3.eth.get_transaction(tx_hash)
    assert tx["hash"] == tx_hash
    assert tx["from"] == sender and tx["to"] == recipient
    assert tx["value"] == value and tx["nonce"] == 0 and tx["gas"] == 21_000
    assert tx["type"] == TYPES[kind]
    assert tx["input"] == HexBytes(b"")
    assert tx["blockNumber"] == receipt["blockNumber"] and tx["blockHash"] == receipt["blockHash"]
    assert tx["transactionIndex"] == receipt["transactionIndex"]
    assert int.from_bytes(tx["r"], "big") == signed.r
    assert int.from_bytes(tx["s"], "big") == signed.s
    assert tx["gasPrice"] == expected_price
    if kind == "legacy":
        assert tx["v"] == signed.v and tx["v"] in (CHAIN_ID * 2 + 35, CHAIN_ID * 2 + 36)  # EIP-155
    else:
        assert tx["chainId"] == CHAIN_ID
        assert tx["accessList"] == []
        assert tx["yParity"] == signed.v
    if kind == "eip1559":
        assert tx["maxFeePerGas"] == fees["maxFeePerGas"]
        assert tx["maxPriorityFeePerGas"] == fees["maxPriorityFeePerGas"]
    by_number = w3.eth.get_transaction_by_block(receipt["blockNumber"], receipt["transactionIndex"])
    by_hash = w3.eth.get_transaction_by_block(receipt["blockHash"], receipt["transactionIndex"])
    assert dict(by_number) == dict(tx) == dict(by_hash)

    full = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert dict(full["transactions"][receipt["transactionIndex"]]) == dict(tx)
    assert w3.eth.get_block_transaction_count(receipt["blockNumber"]) == len(block["transactions"])
    assert w3.eth.get_block_transaction_count(receipt["blockHash"]) == len(block["transactions"])

    receipts = w3.eth.get_block_receipts(receipt["blockNumber"])
    assert len(receipts) == len(block["transactions"])
    assert dict(receipts[receipt["transactionIndex"]]) == dict(receipt)

    # Every other node has the same receipt once it has the block.
    for node in w3_nodes[1:]:
        wait_until(lambda: node.eth.block_number >= receipt["blockNumber"], what="the block on every node")
        assert dict(node.eth.get_transaction_receipt(tx_hash)) == dict(receipt)


def test_estimate_gas_for_a_transfer(w3, account):
    recipient = Account.create().address
    assert w3.eth.estimate_gas({"from": account.address, "to": recipient, "value": 10**18}) == 21_000
    assert w3.eth.estimate_gas({"to": recipient}) == 21_000


def test_gas_price_is_next_base_fee_plus_tip(w3):
    assert w3.eth.max_priority_fee == GWEI

    def consistent():
        with w3.batch_requests() as batch:
            batch.add(w3.eth.fee_history(1, "latest"))
            batch.add(w3.eth.gas_price)
            batch.add(w3.eth.fee_history(1, "latest"))
            history, price, history_again = batch.execute()
        if history["oldestBlock"] != history_again["oldestBlock"]:
            return None  # a block landed in between: ask again
        return history, price

    history, price = wait_until(consistent, timeout=10, what="a batch within one block")
    assert price == history["baseFeePerGas"][-1] + GWEI


def test_fee_history(w3, account):
    # A block with one known EIP-1559 transfer in it.
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = 3 * GWEI + 7
    signed = sign(account, nonce=0, to=Account.create().address, value=1, type=2,
                  maxPriorityFeePerGas=tip, maxFeePerGas=3 * base + tip)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction),
                                                  timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    newest = receipt["blockNumber"] + 1
    # The last base fee reported is the next block's: wait for that block to compare.
    wait_until(lambda: w3.eth.block_number >= newest + 1, what="two more blocks")

    history = w3.eth.fee_history(4, newest, [0, 50, 100])
    assert history["oldestBlock"] == newest - 3
    assert len(history["baseFeePerGas"]) == 5
    assert len(history["gasUsedRatio"]) == 4
    assert len(history["reward"]) == 4
    blocks = [w3.eth.get_block(n) for n in range(newest - 3, newest + 2)]
    assert history["baseFeePerGas"] == [b["baseFeePerGas"] for b in blocks]
    for ratio, b in zip(history["gasUsedRatio"], blocks):
        assert ratio == pytest.approx(b["gasUsed"] / b["gasLimit"])
    ours = receipt["blockNumber"] - (newest - 3)
    mined = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    if len(mined["transactions"]) == 1:
        assert history["reward"][ours] == [tip, tip, tip]
    else:
        assert tip in history["reward"][ours] or min(history["reward"][ours]) <= tip <= max(history["reward"][ours])
    for rewards, b in zip(history["reward"], blocks):
        assert len(rewards) == 3
        if b["gasUsed"] == 0:
            assert rewards == [0, 0, 0]


def test_send_and_read_through_different_nodes(w3_nodes, account):
    """Submitted to node 1, the transfer is gossiped, finalized, and readable on node 3."""
    recipient = Account.create().address
    submit, read = w3_nodes[1], w3_nodes[3]
    signed = sign(account, nonce=0, to=recipient, value=5 * 10**17, gasPrice=2 * submit.eth.gas_price)
    submit.eth.send_raw_transaction(signed.raw_transaction)
    receipt = read.eth.wait_for_transaction_receipt(signed.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1
    assert read.eth.get_balance(recipient) == 5 * 10**17


def test_raw_quantities_are_strict_hex(devnet, account):
    """The node answers in Ethereum's encodings: quantities without leading zeros."""
    url = devnet.http_urls[0]
    balance = call(url, "eth_getBalance", account.address, "latest")
    assert balance == hex(10**24)
    assert call(url, "eth_getTransactionCount", account.address, "latest") == "0x0"
    assert call(url, "eth_getCode", account.address, "latest") == "0x"


def test_web3_fills_in_nonce_gas_and_fees(devnet, accounts):
    """The everyday web3.py path: a signing middleware, then w3.eth.send_transaction with only
    from/to/value; web3 asks the node for the nonce, the gas, the base fee and the tip."""
    from web3 import Web3
    from web3.middleware import SignAndSendRawMiddlewareBuilder

    sender, = accounts(1)
    w3 = Web3(Web3.HTTPProvider(devnet.http_urls[2], request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(sender), layer=0)
    recipient = Account.create().address
    hashes = [w3.eth.send_transaction({"from": sender.address, "to": recipient, "value": 10**15 * (i + 1)})
              for i in range(3)]  # back to back: the pending nonce counts the pooled ones
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=RECEIPT_TIMEOUT, poll_latency=0.1) for h in hashes]
    assert [r["status"] for r in receipts] == [1, 1, 1]
    assert [w3.eth.get_transaction(h)["nonce"] for h in hashes] == [0, 1, 2]
    assert all(w3.eth.get_transaction(h)["type"] == 2 for h in hashes)
    assert w3.eth.get_balance(recipient) == 6 * 10**15
    assert w3.eth.get_transaction_count(sender.address) == 3
