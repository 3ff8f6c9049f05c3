"""JSON-RPC over WebSocket with web3.py's AsyncWeb3 + WebSocketProvider: requests, and
eth_subscribe for newHeads, newPendingTransactions and logs; plus the raw protocol."""

import asyncio
import json

import websockets
from eth_account import Account
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import AsyncWeb3, Web3, WebSocketProvider

from mote_e2e import CHAIN_ID, GWEI, REGISTRY_ABI_PATH, REGISTRY_ADDRESS, RECEIPT_TIMEOUT, rpc_error, sign

TIMEOUT = 30


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=60))


async def notifications(w3, subscription_id, count: int, accept=lambda result: True):
    """The results of the next notifications of one subscription that `accept` takes."""
    out = []
    async with asyncio.timeout(TIMEOUT):
        async for message in w3.socket.process_subscriptions():
            assert message["subscription"] == subscription_id
            if accept(message["result"]):
                out.append(message["result"])
                if len(out) == count:
                    return out
    raise AssertionError("the subscription stream ended")


def test_requests_over_websocket(devnet, w3):
    async def body():
        async with AsyncWeb3(WebSocketProvider(devnet.ws_urls[1])) as aw3:
            assert await aw3.eth.chain_id == CHAIN_ID
            number = await aw3.eth.block_number
            block = await aw3.eth.get_block(number)
            assert block["number"] == number
            return block

    block = run(body())
    assert w3.eth.get_block(block["number"])["hash"] == block["hash"]


def test_new_heads(devnet, w3):
    async def body():
        async with AsyncWeb3(WebSocketProvider(devnet.ws_urls[0])) as aw3:
            sub = await aw3.eth.subscribe("newHeads")
            heads = await notifications(aw3, sub, 3)
            assert await aw3.eth.unsubscribe(sub) is True
            return heads

    heads = run(body())
    numbers = [h["number"] for h in heads]
    assert numbers == list(range(numbers[0], numbers[0] + 3)), numbers
    for parent, child in zip(heads, heads[1:]):
        assert child["parentHash"] == parent["hash"]
    for head in heads:
        block = w3.eth.get_block(head["number"])
        assert head["hash"] == block["hash"]
        for key in ("stateRoot", "receiptsRoot", "transactionsRoot", "miner", "timestamp", "baseFeePerGas", "gasLimit"):
            assert head[key] == block[key], key


def test_new_pending_transactions(devnet, account):
    tx = sign(account, nonce=0, to=Account.create().address, value=3, type=2,
              maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)

    async def body():
        async with AsyncWeb3(WebSocketProvider(devnet.ws_urls[2])) as aw3:
            sub = await aw3.eth.subscribe("newPendingTransactions")
            sent = await aw3.eth.send_raw_transaction(tx.raw_transaction)
            assert sent == tx.hash
            await notifications(aw3, sub, 1, accept=lambda result: HexBytes(result) == tx.hash)
            assert await aw3.eth.unsubscribe(sub) is True
            receipt = await aw3.eth.wait_for_transaction_receipt(tx.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
            assert receipt["status"] == 1

    run(body())


def test_new_pending_transactions_full(devnet, account):
    to = Account.create().address
    tx = sign(account, nonce=0, to=to, value=4, type=2, maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)

    async def body():
        async with AsyncWeb3(WebSocketProvider(devnet.ws_urls[0])) as aw3:
            sub = await aw3.eth.subscribe("newPendingTransactions", True)
            await aw3.eth.send_raw_transaction(tx.raw_transaction)
            [pending] = await notifications(aw3, sub, 1, accept=lambda result: result["hash"] == tx.hash)
            assert await aw3.eth.unsubscribe(sub) is True
            return pending

    pending = run(body())
    assert pending["from"] == account.address and pending["to"] == to
    assert pending["value"] == 4 and pending["nonce"] == 0 and pending["blockNumber"] is None


def test_logs_subscription_sees_registry_event(devnet, w3, account):
    abi = json.loads(REGISTRY_ABI_PATH.read_text())
    registry = w3.eth.contract(address=Web3.to_checksum_address(REGISTRY_ADDRESS), abi=abi)
    tx = registry.functions.register("ws-node", "ws://example:8646").build_transaction({
        "from": account.address, "nonce": 0, "chainId": CHAIN_ID, "gas": 200_000,
        "maxPriorityFeePerGas": GWEI, "maxFeePerGas": 4 * GWEI})
    signed = account.sign_transaction(tx)
    topic = HexBytes(keccak(text="NodeRegistered(address,string,string)"))

    async def body():
        async with AsyncWeb3(WebSocketProvider(devnet.ws_urls[3])) as aw3:
            sub = await aw3.eth.subscribe("logs", {"address": REGISTRY_ADDRESS, "topics": [topic]})
            await aw3.eth.send_raw_transaction(signed.raw_transaction)
            [log] = await notifications(aw3, sub, 1, accept=lambda result: result["transactionHash"] == signed.hash)
            assert await aw3.eth.unsubscribe(sub) is True
            return log

    log = run(body())
    assert log["address"] == Web3.to_checksum_address(REGISTRY_ADDRESS)
    assert log["topics"] == [topic, HexBytes(bytes(12) + bytes.fromhex(account.address[2:]))]
    receipt = w3.eth.wait_for_transaction_receipt(signed.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1
    assert dict(receipt["logs"][0]) == dict(log)
    [event] = registry.events.NodeRegistered().process_receipt(receipt)
    assert dict(event["args"]) == {"operator": account.address, "name": "ws-node", "endpoint": "ws://example:8646"}


def test_raw_protocol(devnet):
    """The wire format with a plain WebSocket client: a subscription id, notifications as
    eth_subscription messages, unsubscribe true then false, a batch over the socket."""

    async def body():
        async with websockets.connect(devnet.ws_urls[0]) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert reply["id"] == 1 and reply["jsonrpc"] == "2.0"
            sub = reply["result"]
            assert isinstance(sub, str) and sub.startswith("0x")
            message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert message["jsonrpc"] == "2.0" and message["method"] == "eth_subscription"
            assert "id" not in message
            assert message["params"]["subscription"] == sub
            assert int(message["params"]["result"]["number"], 16) > 0
            await ws.send(json.dumps([
                {"jsonrpc": "2.0", "id": 2, "method": "eth_unsubscribe", "params": [sub]},
                {"jsonrpc": "2.0", "id": 3, "method": "eth_unsubscribe", "params": [sub]},
                {"jsonrpc": "2.0", "id": 4, "method": "eth_subscribe", "params": ["noSuchThing"]},
            ]))
            async with asyncio.timeout(TIMEOUT):
                while True:
                    reply = json.loads(await ws.recv())
                    if isinstance(reply, list):
                        break  # notifications already in flight may come first
            by_id = {r["id"]: r for r in reply}
            assert by_id[2]["result"] is True
            assert by_id[3]["result"] is False
            assert by_id[4]["error"]["code"] == -32602

    run(body())


def test_subscribe_over_http_is_refused(devnet):
    error = rpc_error(devnet.http_urls[0], "eth_subscribe", "newHeads")
    assert error["code"] == -32601
    assert error["message"] == "notifications not supported"
