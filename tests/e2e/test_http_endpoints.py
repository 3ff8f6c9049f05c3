"""/health and /metrics beside the JSON-RPC endpoint."""

import json
import re

from mote_e2e import call, http_get, wait_until


def test_health(devnet):
    for url in devnet.http_urls:
        before = int(call(url, "eth_blockNumber"), 16)
        status, content_type, text = http_get(url + "/health")
        after = int(call(url, "eth_blockNumber"), 16)
        assert status == 200
        assert content_type.startswith("application/json")
        health = json.loads(text)
        assert health["status"] == "ok"
        assert isinstance(health["height"], int) and before <= health["height"] <= after
        assert health["peers"] == 3
        assert health["syncing"] is False


def metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.compile(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", re.MULTILINE)
    match = pattern.search(text)
    assert match, f"{name}{labels} not in /metrics:\n{text[:2000]}"
    return float(match.group(1))


def test_metrics(devnet, w3):
    url = devnet.http_urls[1]
    call(url, "eth_blockNumber")  # at least one request timed on this node
    call(url, "eth_getBlockByNumber", "latest", False)
    status, content_type, text = http_get(url + "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    for name, kind in [
        ("mote_chain_height", "gauge"), ("mote_p2p_peers", "gauge"), ("mote_pool_transactions", "gauge"),
        ("mote_finality_seconds", "histogram"), ("mote_rpc_request_duration_seconds", "histogram"),
    ]:
        assert f"# TYPE {name} {kind}" in text, name
    height = metric(text, "mote_chain_height")
    assert abs(height - w3.eth.block_number) <= 2
    assert metric(text, "mote_p2p_peers") == 3
    assert metric(text, "mote_pool_transactions") >= 0
    assert metric(text, "mote_finality_seconds_count") >= 1
    assert metric(text, "mote_finality_seconds_bucket", '{le="+Inf"}') == metric(text, "mote_finality_seconds_count")
    assert metric(text, "mote_rpc_request_duration_seconds_count", '{method="eth_blockNumber"}') >= 1
    assert metric(text, "mote_rpc_request_duration_seconds_count", '{method="eth_getBlockByNumber"}') >= 1

    # The height gauge follows the chain.
    wait_until(lambda: metric(http_get(url + "/metrics")[2], "mote_chain_height") > height, what="the height gauge to grow")
