"""Whole-network restarts of a real devnet: every node stopped at random moments (SIGINT to
the group as Ctrl-C sends it, SIGTERM, SIGKILL, or a mix, node by node) and the same devnet
started again, five cycles. After each restart the network must finalize again within 10 s
of the last node answering; at the end every node holds the same block at every height and
every transaction that had a receipt still has it, in the same block."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from eth_account import Account

from mote_e2e import Devnet, GWEI, call, mote_binary, rpc_raw, sign

RESUME_LIMIT = 10.0


def _heights(net: Devnet) -> list[int | None]:
    out: list[int | None] = []
    for url in net.http_urls:
        try:
            status, body = rpc_raw(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}, timeout=2)
            out.append(int(body["result"], 16) if status == 200 and "result" in body else None)
        except (OSError, ValueError, KeyError, TypeError):
            out.append(None)
    return out


def _node_pids(net: Devnet) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(net.process.pid)], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


def _stored_height(net: Devnet, node: int) -> int:
    result = subprocess.run([mote_binary(), "status", "--datadir", str(net.datadir / f"node-{node}" / "data")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return int(json.loads(result.stdout)["height"])


def _launch(net: Devnet) -> None:
    net._log_file = open(net.log_path, "ab", buffering=0)
    net.process = subprocess.Popen(
        net.command(), stdout=net._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _stop(net: Devnet, mode: str, rng: random.Random) -> None:
    """Stops every node of the devnet in `mode` and waits until each node process is gone.
    (`mote devnet` runs each node in a process group of its own, so a terminal's Ctrl-C
    reaches the devnet process, which stops its nodes.)"""
    process = net.process
    nodes = _node_pids(net)
    assert len(nodes) == net.nodes, f"expected {net.nodes} node processes, found {nodes}"
    if mode == "sigint":
        process.send_signal(signal.SIGINT)
    elif mode == "sigterm":
        process.send_signal(signal.SIGTERM)
    elif mode == "sigkill":
        for pid in nodes:
            os.kill(pid, signal.SIGKILL)
        process.send_signal(signal.SIGKILL)
    else:  # mixed: each node its own signal, at its own moment (some mid-commit, some mid-round)
        for pid in nodes:
            time.sleep(rng.uniform(0, 0.4))
            try:
                os.kill(pid, rng.choice([signal.SIGKILL, signal.SIGINT, signal.SIGTERM]))
            except ProcessLookupError:
                pass
        process.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in nodes) and time.monotonic() < deadline:
        time.sleep(0.05)
    leftover = [pid for pid in nodes if _alive(pid)]
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    while any(_alive(pid) for pid in nodes):
        time.sleep(0.05)
    if net._log_file:
        net._log_file.close()
        net._log_file = None
    assert not leftover, f"{mode}: node processes {leftover} still running 20 s after the stop"


@pytest.fixture(scope="module")
def restart_net():
    root = Path(tempfile.mkdtemp(prefix="mote-e2e-restart-"))
    net = Devnet(datadir=root / "devnet", nodes=4, block_time_ms=500, accounts=8)
    try:
        net.start()
    except BaseException:
        net.stop()
        raise
    yield net
    status = net.stop()
    if status is not None:
        shutil.rmtree(root, ignore_errors=True)


def test_whole_network_restarts_resume_within_10_s(restart_net):
    net = restart_net
    rng = random.Random(0x5EED)
    senders = [Account.from_key(entry["privateKey"]) for entry in net.read_accounts()[:4]]
    recipient = Account.create().address
    nonces = {a.address: 0 for a in senders}
    included: dict[str, str] = {}  # transaction hash → block hash
    modes = ["sigint", "sigterm", "sigkill", "mixed", "mixed"]
    resume_times = []
    for cycle, mode in enumerate(modes):
        # Some load: a transfer from each sender, kept until it has a receipt.
        url = net.http_urls[cycle % net.nodes]
        base = int(call(url, "eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
        hashes = []
        for account in senders:
            signed = sign(account, nonce=nonces[account.address], to=recipient, value=1, type=2,
                          maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * base + GWEI)
            hashes.append(call(url, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex().removeprefix("0x")))
            nonces[account.address] += 1
        deadline = time.monotonic() + 30
        pending = set(hashes)
        while pending and time.monotonic() < deadline:
            for h in list(pending):
                receipt = call(url, "eth_getTransactionReceipt", h)
                if receipt:
                    included[h] = receipt["blockHash"]
                    pending.discard(h)
            time.sleep(0.1)
        assert not pending, f"cycle {cycle}: no receipt for {pending}\n{net.log_tail()}"

        # Stop at a random moment (mid-round or mid-commit), the whole network.
        time.sleep(rng.uniform(0.05, 1.5))
        _stop(net, mode, rng)
        # The highest block any node had stored when the network went down (read-only).
        before = max(_stored_height(net, i) for i in range(net.nodes))

        _launch(net)
        up_deadline = time.monotonic() + 60
        while any(h is None for h in _heights(net)):
            assert net.process.poll() is None, f"cycle {cycle} ({mode}): devnet exited {net.process.returncode}\n{net.log_tail()}"
            assert time.monotonic() < up_deadline, f"cycle {cycle} ({mode}): nodes not answering\n{net.log_tail()}"
            time.sleep(0.05)
        up = time.monotonic()
        while True:
            heights = _heights(net)
            if all(h is not None and h > before for h in heights):
                break
            waited = time.monotonic() - up
            assert waited < RESUME_LIMIT, (
                f"cycle {cycle} ({mode}): heights {heights} not past {before} {waited:.1f} s after the last node started\n"
                + net.log_tail(80))
            time.sleep(0.05)
        resume_times.append(time.monotonic() - up)
    print(f"whole-network restarts ({', '.join(modes)}): resumed after "
          + ", ".join(f"{t:.1f} s" for t in resume_times))

    # Every node agrees on every block, and no receipt was lost.
    top = min(_heights(net))
    for height in range(1, top + 1):
        blocks = {call(u, "eth_getBlockByNumber", hex(height), False)["hash"] for u in net.http_urls}
        assert len(blocks) == 1, f"nodes disagree at height {height}: {blocks}"
    for tx_hash, block_hash in included.items():
        for u in net.http_urls:
            receipt = call(u, "eth_getTransactionReceipt", tx_hash)
            assert receipt is not None and receipt["blockHash"] == block_hash, (u, tx_hash, receipt)
