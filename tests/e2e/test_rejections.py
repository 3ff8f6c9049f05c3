"""Transactions the pool refuses come back as JSON-RPC errors worded as go-ethereum words
them (code -32000, known message prefixes), which web3.py raises as Web3RPCError.

To know for sure that a transaction is still in the pool when the next one arrives, several
tests leave a nonce gap: a transaction at nonce 1 while nonce 0 is unsent stays queued."""

import pytest
from eth_account import Account
from web3.exceptions import TransactionNotFound, Web3RPCError

from mote_e2e import GWEI, RECEIPT_TIMEOUT, sign


def rejected(w3, raw: bytes) -> dict:
    """Sends a raw transaction that must be refused; returns the JSON-RPC error object."""
    with pytest.raises(Web3RPCError) as info:
        w3.eth.send_raw_transaction(raw)
    error = info.value.rpc_response["error"]
    assert error["message"] in str(info.value)
    return error


def fees(w3, bump_percent: int = 0) -> dict:
    """EIP-1559 fees well above the base fee, raised by `bump_percent`."""
    tip, cap = 2 * GWEI, 4 * GWEI
    return {"type": 2, "maxPriorityFeePerGas": tip * (100 + bump_percent) // 100,
            "maxFeePerGas": cap * (100 + bump_percent) // 100}


def test_duplicate_is_already_known(w3, account):
    queued = sign(account, nonce=1, to=Account.create().address, value=1, **fees(w3))
    assert w3.eth.send_raw_transaction(queued.raw_transaction) == queued.hash
    error = rejected(w3, queued.raw_transaction)
    assert error["code"] == -32000
    assert error["message"] == "already known"
    # Still queued, not pending: the account's pending nonce does not move past the gap.
    assert w3.eth.get_transaction_count(account.address, "pending") == 0
    assert w3.eth.get_transaction(queued.hash)["blockNumber"] is None


def test_duplicate_of_a_pending_transaction(devnet, w3, account):
    """The same raw transaction twice in one batch: the second is a duplicate."""
    from mote_e2e import rpc_raw

    tx = sign(account, nonce=0, to=Account.create().address, value=1, **fees(w3))
    raw = "0x" + tx.raw_transaction.hex().removeprefix("0x")
    status, body = rpc_raw(devnet.http_urls[0], [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [raw]},
    ])
    assert status == 200
    by_id = {item["id"]: item for item in body}
    assert by_id[1]["result"] == "0x" + tx.hash.hex().removeprefix("0x")
    assert by_id[2]["error"]["code"] == -32000
    assert by_id[2]["error"]["message"] == "already known"
    assert w3.eth.wait_for_transaction_receipt(tx.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)["status"] == 1


def test_nonce_too_low_after_mining(w3, account):
    first = sign(account, nonce=0, to=Account.create().address, value=1, **fees(w3))
    w3.eth.send_raw_transaction(first.raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(first.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)["status"] == 1
    again = sign(account, nonce=0, to=Account.create().address, value=2, **fees(w3))
    error = rejected(w3, again.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("nonce too low: "), error
    assert error.get("data", {}).get("reason") == "nonce_too_low", error
    # The mined one is also refused (it is known to the chain, not to the pool).
    error = rejected(w3, first.raw_transaction)
    assert error["message"] == "already known" or error["message"].startswith("nonce too low"), error


def test_underpriced_replacement_then_bumped_replacement(w3, account):
    to = Account.create().address
    original = sign(account, nonce=1, to=to, value=100, **fees(w3))
    w3.eth.send_raw_transaction(original.raw_transaction)

    cheap = sign(account, nonce=1, to=to, value=105, **fees(w3, bump_percent=5))
    error = rejected(w3, cheap.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("replacement transaction underpriced: "), error

    bumped = sign(account, nonce=1, to=to, value=120, **fees(w3, bump_percent=20))
    assert w3.eth.send_raw_transaction(bumped.raw_transaction) == bumped.hash
    # The replaced transaction left the pool at once.
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction(original.hash)

    # Filling the gap lets both nonces be mined: nonce 1 is the replacement.
    filler = sign(account, nonce=0, to=to, value=1_000, **fees(w3))
    w3.eth.send_raw_transaction(filler.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(bumped.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1
    assert w3.eth.get_transaction_receipt(filler.hash)["status"] == 1
    assert w3.eth.get_transaction(bumped.hash)["nonce"] == 1
    assert w3.eth.get_transaction_count(account.address) == 2
    assert w3.eth.get_balance(to) == 1_000 + 120
    for tx_hash in (original.hash, cheap.hash):
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction_receipt(tx_hash)
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction(tx_hash)


def test_wrong_chain_id(w3, account):
    tx = sign(account, nonce=0, to=Account.create().address, value=1, chainId=1, **fees(w3))
    error = rejected(w3, tx.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("invalid chain id: "), error
    legacy = sign(account, nonce=0, to=Account.create().address, value=1, chainId=1, gasPrice=2 * w3.eth.gas_price)
    assert rejected(w3, legacy.raw_transaction)["message"].startswith("invalid chain id: ")
    assert w3.eth.get_transaction_count(account.address, "pending") == 0


def test_insufficient_funds_from_an_empty_account(w3):
    empty = Account.create()
    assert w3.eth.get_balance(empty.address) == 0
    tx = sign(empty, nonce=0, to=Account.create().address, value=1, **fees(w3))
    error = rejected(w3, tx.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("insufficient funds for gas * price + value: "), error


def test_insufficient_funds_for_value_above_balance(w3, account):
    balance = w3.eth.get_balance(account.address)
    tx = sign(account, nonce=0, to=Account.create().address, value=balance + 1, **fees(w3))
    error = rejected(w3, tx.raw_transaction)
    assert error["message"].startswith("insufficient funds for gas * price + value: "), error
    # Value plus the most gas it could cost, one wei short.
    max_cost = 21_000 * fees(w3)["maxFeePerGas"]
    short = sign(account, nonce=0, to=Account.create().address, value=balance - max_cost + 1, **fees(w3))
    assert rejected(w3, short.raw_transaction)["message"].startswith("insufficient funds for gas * price + value: ")
    exact = sign(account, nonce=0, to=Account.create().address, value=balance - max_cost, **fees(w3))
    assert w3.eth.send_raw_transaction(exact.raw_transaction) == exact.hash
    assert w3.eth.wait_for_transaction_receipt(exact.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)["status"] == 1


def test_zero_tip_is_underpriced(w3, account):
    tx = sign(account, nonce=0, to=Account.create().address, value=1, type=2,
              maxPriorityFeePerGas=0, maxFeePerGas=4 * GWEI)
    error = rejected(w3, tx.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("transaction underpriced: "), error


def test_intrinsic_gas_too_low(w3, account):
    tx = sign(account, nonce=0, to=Account.create().address, value=1, gas=20_999, **fees(w3))
    error = rejected(w3, tx.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("intrinsic gas too low"), error


def test_gas_above_block_gas_limit(w3, account):
    tx = sign(account, nonce=0, to=Account.create().address, value=1, gas=200_000_001, **fees(w3))
    error = rejected(w3, tx.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("exceeds block gas limit"), error


def test_unprotected_legacy_transaction(w3, account):
    tx = account.sign_transaction({"nonce": 0, "to": Account.create().address, "value": 1, "gas": 21_000,
                                   "gasPrice": 2 * w3.eth.gas_price, "data": b""})
    assert tx.v in (27, 28)
    error = rejected(w3, tx.raw_transaction)
    assert error["code"] == -32000
    assert error["message"].startswith("only replay-protected (EIP-155) transactions allowed over RPC"), error


def test_garbage_raw_transaction(w3):
    with pytest.raises(Web3RPCError) as info:
        w3.eth.send_raw_transaction(b"\x02\xc0\x01")
    assert info.value.rpc_response["error"]["code"] in (-32000, -32602)


def test_transactions_the_chain_never_includes_are_refused_at_the_door(w3, account):
    """A contract creation (no EVM yet) and a gas limit above the block's would stay pending
    forever and block every later nonce: refused by eth_sendRawTransaction, and the sender's
    next transaction goes through."""
    creation = sign(account, nonce=0, to=None, value=0, data=b"\x60\x00", gas=100_000, **fees(w3))
    error = rejected(w3, creation.raw_transaction)
    assert error["code"] == -32000 and error["data"]["reason"] == "contract_creation_unsupported", error
    huge = sign(account, nonce=0, to=Account.create().address, value=1, gas=200_000_001, **fees(w3))
    error = rejected(w3, huge.raw_transaction)
    assert error["message"].startswith("exceeds block gas limit"), error
    assert w3.eth.get_transaction_count(account.address, "pending") == 0
    transfer = sign(account, nonce=0, to=Account.create().address, value=1, **fees(w3))
    w3.eth.send_raw_transaction(transfer.raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(transfer.hash, timeout=RECEIPT_TIMEOUT)["status"] == 1
