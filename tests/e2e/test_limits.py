"""The API's limits and JSON-RPC 2.0 error codes, over raw HTTP; the per-IP rate limit and
the eth_getLogs range limit on a 1-node devnet configured with tight limits."""

import http.client
import json
import time

import pytest

from mote_e2e import rpc_error, rpc_raw, wait_until


def request(method, *params, id=1):
    return {"jsonrpc": "2.0", "id": id, "method": method, "params": list(params)}


def test_batch_at_and_over_the_limit(devnet):
    url = devnet.http_urls[0]
    status, body = rpc_raw(url, [request("eth_chainId", id=i) for i in range(100)])
    assert status == 200
    assert isinstance(body, list) and len(body) == 100
    assert sorted(r["id"] for r in body) == list(range(100))
    assert all(r["result"] == "0x1251" for r in body)

    status, body = rpc_raw(url, [request("eth_chainId", id=i) for i in range(101)])
    assert status == 200
    assert isinstance(body, dict), "a batch over the limit is answered with one error object"
    assert body["id"] is None
    assert body["error"]["code"] == -32005
    assert "101" in body["error"]["message"] and "100" in body["error"]["message"]


def test_body_over_5_mib(devnet):
    url = devnet.http_urls[0]
    padding = "0x" + "00" * (5 * 1024 * 1024 // 2 + 16)
    payload = json.dumps(request("web3_sha3", padding)).encode()
    assert len(payload) > 5 * 1024 * 1024
    status, body = rpc_raw(url, None, raw_body=payload)
    assert status == 200
    assert body["error"]["code"] == -32005, body
    assert body["id"] is None
    # The node still answers afterwards.
    assert rpc_raw(url, request("eth_chainId"))[1]["result"] == "0x1251"


def test_malformed_json(devnet):
    status, body = rpc_raw(devnet.http_urls[0], None, raw_body=b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert status == 200
    assert body["jsonrpc"] == "2.0" and body["id"] is None
    assert body["error"]["code"] == -32700


def test_invalid_requests(devnet):
    url = devnet.http_urls[0]
    for payload, code in [
        ([], -32600),                                           # empty batch
        ({"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": {"a": 1}}, -32602),
    ]:
        status, body = rpc_raw(url, payload)
        assert status == 200
        assert body["error"]["code"] == code, (payload, body)
    # A batch of non-objects: one error per element.
    status, body = rpc_raw(url, [1, 2])
    assert [item["error"]["code"] for item in body] == [-32600, -32600]
    # A notification (no id) gets no response at all.
    status, body = rpc_raw(url, {"jsonrpc": "2.0", "method": "eth_chainId", "params": []})
    assert status == 200 and body is None


def test_unknown_method(devnet):
    error = rpc_error(devnet.http_urls[0], "eth_doesNotExist")
    assert error["code"] == -32601
    assert error["message"] == "the method eth_doesNotExist does not exist/is not available"


def test_bad_params(devnet):
    url = devnet.http_urls[0]
    error = rpc_error(url, "eth_getBalance", "0x1234", "latest")
    assert error["code"] == -32602
    assert error["message"] == "invalid argument 0: hex string has length 4, want 40 for an address"
    assert rpc_error(url, "eth_getBalance", "0x" + "11" * 20, "0x01")["code"] == -32602  # leading zero
    assert rpc_error(url, "eth_getBlockByNumber")["code"] == -32602  # missing argument
    assert rpc_error(url, "eth_chainId", 1)["code"] == -32602  # too many arguments
    assert rpc_error(url, "eth_getTransactionByHash", "0x1234")["code"] == -32602


def test_web3_raises_param_errors(w3):
    """web3.py validates addresses itself; a request that gets past it raises Web3RPCError
    carrying the node's message."""
    from web3.exceptions import Web3RPCError

    with pytest.raises(Web3RPCError) as info:
        w3.manager.request_blocking("eth_getBalance", ["0xabc", "latest"])
    assert info.value.rpc_response["error"]["code"] == -32602
    assert "hex string of odd length" in str(info.value)


def test_historical_state_is_refused(devnet, w3):
    head = wait_until(lambda: w3.eth.block_number if w3.eth.block_number >= 3 else 0, what="block 3")
    error = rpc_error(devnet.http_urls[0], "eth_getBalance", "0x" + "11" * 20, hex(head - 2))
    assert error["code"] == -32000
    assert error["message"].startswith("historical state is not available")


# MARK: a node with tight limits


def test_rate_limit(limited_devnet):
    """20 requests a second per IP (bursts of 40): 200 quick requests meet -32005 errors; a
    second later requests pass again."""
    url = limited_devnet.http_urls[0]
    host, port = url.removeprefix("http://").split(":")
    time.sleep(2.1)  # whatever the fixture's polling spent is earned back: a full bucket of 40
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    ok = limited = 0
    started = time.monotonic()
    try:
        for i in range(200):
            status, body = rpc_raw(url, request("eth_blockNumber", id=i), connection=conn)
            assert status == 200
            if "result" in body:
                ok += 1
            else:
                assert body["error"]["code"] == -32005, body
                assert body["error"]["message"].startswith("rate limit exceeded"), body
                assert body["id"] == i
                limited += 1
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    assert limited > 0, f"no request of 200 in {elapsed:.2f} s was rate limited"
    # The burst (40) plus what 20 a second earned during the loop, give or take one.
    assert ok <= 40 + 20 * elapsed + 1, (ok, elapsed)
    assert ok >= 40, ok
    # A batch counts each of its requests.
    status, body = rpc_raw(url, [request("eth_chainId", id=i) for i in range(50)])
    assert isinstance(body, dict) and body["error"]["code"] == -32005

    time.sleep(1.1)  # the bucket refills at 20 a second
    for i in range(15):
        status, body = rpc_raw(url, request("eth_chainId", id=i))
        assert body.get("result") == "0x1251", body


def test_get_logs_range_limit(limited_devnet):
    """max_log_range = 5: a range of more than 5 existing blocks is -32005."""
    url = limited_devnet.http_urls[0]

    def head():
        status, body = rpc_raw(url, request("eth_blockNumber"))
        return int(body["result"], 16) if "result" in body else 0

    wait_until(lambda: head() >= 8, timeout=30, interval=0.2, what="8 blocks on the limited node")
    time.sleep(1.1)  # the rate limit of this node: start with a full bucket
    error = rpc_error(url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})
    assert error["code"] == -32005
    assert error["message"].endswith("exceeds the limit of 5"), error
    status, body = rpc_raw(url, request("eth_getLogs", {"fromBlock": "0x1", "toBlock": "0x5"}))
    assert body["result"] == []
