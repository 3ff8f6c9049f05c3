"""A node whose disk fills up stops with a clear error and, once space is freed, resumes on
its own (a one-node devnet: no peer could hand it the block it was committing). Needs root
to mount a small tmpfs; skipped with a reason elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from mote_e2e import free_port_block, mote_binary, rpc_raw


def _height(url: str) -> int | None:
    try:
        status, body = rpc_raw(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}, timeout=2)
        return int(body["result"], 16) if status == 200 and "result" in body else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _block_hash(url: str, height: int) -> str:
    status, body = rpc_raw(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": [hex(height), False]})
    return body["result"]["hash"]


@pytest.fixture
def small_disk():
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = Path(tempfile.mkdtemp(prefix="mote-e2e-diskfull-"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        try:
            mount.rmdir()
        except OSError:
            pass


def test_disk_full_stops_cleanly_and_resumes_after_space_is_freed(small_disk):
    base = free_port_block(3)
    root = small_disk / "devnet"
    subprocess.run([mote_binary(), "devnet", "--nodes", "1", "--block-time", "300", "--datadir", str(root),
                    "--base-port", str(base), "--rpc-port", str(base + 1), "--ws-port", str(base + 2), "--setup-only"],
                   check=True, capture_output=True, timeout=120)
    config = root / "node-0" / "config.toml"
    url = f"http://127.0.0.1:{base + 1}"
    log_path = small_disk.parent / (small_disk.name + ".log")

    def start() -> subprocess.Popen:
        return subprocess.Popen([mote_binary(), "node", "--config", str(config)], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)

    node = start()
    try:
        deadline = time.monotonic() + 60
        while (_height(url) or 0) < 5:
            assert node.poll() is None and time.monotonic() < deadline, node.stdout.read() if node.poll() is not None else "no blocks"
            time.sleep(0.1)
        early = {h: _block_hash(url, h) for h in range(1, 5)}

        # Fill the disk until writes fail.
        filler = small_disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for chunk in (1 << 20, 4096, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * chunk)
                except OSError:
                    pass
        finally:
            os.close(fd)
        try:
            output, _ = node.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            node.kill()
            output, _ = node.communicate()
            pytest.fail("the node kept running on a full disk:\n" + output[-3000:])
        log_path.write_text(output)
        assert node.returncode != 0, f"a node that cannot write must exit non-zero:\n{output[-3000:]}"
        assert "fatal:" in output or "cannot run" in output, output[-3000:]
        assert "space" in output.lower(), output[-3000:]

        stored = subprocess.run([mote_binary(), "status", "--datadir", str(root / "node-0" / "data")],
                                capture_output=True, text=True, timeout=60)
        assert stored.returncode == 0, stored.stdout + stored.stderr
        height_at_stop = int(json.loads(stored.stdout)["height"])

        # Free the space: the node resumes by itself, keeping every block it had.
        filler.unlink()
        node = start()
        deadline = time.monotonic() + 20
        while (_height(url) or 0) <= height_at_stop + 2:
            assert node.poll() is None, "restarted node exited:\n" + node.stdout.read()[-3000:]
            assert time.monotonic() < deadline, f"no progress past {height_at_stop} after freeing space"
            time.sleep(0.1)
        for h, block_hash in early.items():
            assert _block_hash(url, h) == block_hash
    finally:
        if node.poll() is None:
            node.terminate()
            try:
                node.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.kill()
