"""Helpers for the end-to-end suite: a devnet of real `mote` processes, raw JSON-RPC over
HTTP, transaction signing with eth-account, polling."""

from __future__ import annotations

import atexit
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
CHAIN_ID = 4689
GWEI = 10**9
MOTE = 10**18
# The NodeRegistry system contract (docs/LEDGER.md, `mote contracts list`).
REGISTRY_ADDRESS = "0x00000000000000000000000000004D4F54450001"
REGISTRY_ABI_PATH = REPO / "docs" / "abi" / "NodeRegistry.json"
RECEIPT_TIMEOUT = 30


_binary_copy: str | None = None


def mote_binary() -> str:
    """The `mote` under test: a private copy, made once per session, of $MOTE_BINARY, else of
    the debug build. The copy keeps the whole session on one binary while the build folder is
    rebuilt beside it (`mote devnet` starts its nodes from its own path)."""
    global _binary_copy
    if _binary_copy is not None:
        return _binary_copy
    source = os.environ.get("MOTE_BINARY") or str(REPO / ".build" / "debug" / "mote")
    if not os.access(source, os.X_OK):
        raise RuntimeError(
            f"no mote binary at {source}: build it with `swift build --product mote` or set MOTE_BINARY"
        )
    folder = tempfile.mkdtemp(prefix="mote-e2e-bin-")
    atexit.register(shutil.rmtree, folder, True)
    target = os.path.join(folder, "mote")
    shutil.copy2(source, target)
    _binary_copy = target
    return target


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_claimed: set[int] = set()


def free_port_block(count: int) -> int:
    """A base port such that base … base+count-1 are free on 127.0.0.1 (below the Linux
    ephemeral range, so outgoing connections do not take them)."""
    rng = random.Random(os.getpid() ^ time.time_ns())
    for _ in range(500):
        base = rng.randrange(20_000, 32_000 - count)
        ports = range(base, base + count)
        if any(p in _claimed for p in ports):
            continue
        if all(_bindable(p) for p in ports):
            _claimed.update(ports)
            return base
    raise RuntimeError(f"no block of {count} free ports found")


@dataclass
class Devnet:
    """A `mote devnet` process group: N delegate nodes on loopback."""

    datadir: Path
    nodes: int = 4
    block_time_ms: int = 500
    accounts: int = 64
    chain_id: int = CHAIN_ID
    process: subprocess.Popen | None = None
    base: int = 0
    log_path: Path = field(init=False)
    _log_file: Any = None

    def __post_init__(self) -> None:
        self.base = free_port_block(3 * self.nodes)
        self.log_path = self.datadir.parent / (self.datadir.name + ".log")

    @property
    def p2p_port(self) -> int:
        return self.base

    @property
    def rpc_port(self) -> int:
        return self.base + self.nodes

    @property
    def ws_port(self) -> int:
        return self.base + 2 * self.nodes

    @property
    def http_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.rpc_port + i}" for i in range(self.nodes)]

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{self.ws_port + i}" for i in range(self.nodes)]

    def command(self, *extra: str) -> list[str]:
        return [
            mote_binary(), "devnet",
            "--nodes", str(self.nodes),
            "--block-time", str(self.block_time_ms),
            "--datadir", str(self.datadir),
            "--base-port", str(self.p2p_port),
            "--rpc-port", str(self.rpc_port),
            "--ws-port", str(self.ws_port),
            "--accounts", str(self.accounts),
            "--chain-id", str(self.chain_id),
            *extra,
        ]

    def setup_only(self) -> None:
        """Writes genesis, keys and configs without starting anything."""
        result = subprocess.run(self.command("--setup-only"), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"mote devnet --setup-only failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def config_path(self, node: int) -> Path:
        return self.datadir / f"node-{node}" / "config.toml"

    def start(self, timeout: float = 90) -> None:
        """Starts the nodes and waits until every node's eth_blockNumber is above 0."""
        self._log_file = open(self.log_path, "ab", buffering=0)
        self.process = subprocess.Popen(
            self.command(), stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        pending = set(self.http_urls)
        while pending:
            if self.process.poll() is not None:
                raise RuntimeError(f"mote devnet exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"devnet not producing blocks after {timeout} s on {sorted(pending)}:\n{self.log_tail()}")
            for url in list(pending):
                try:
                    status, body = rpc_raw(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}, timeout=2)
                    if status == 200 and isinstance(body, dict) and int(body.get("result", "0x0"), 16) > 0:
                        pending.discard(url)
                except (OSError, ValueError, http.client.HTTPException):
                    pass
            time.sleep(0.1)

    def read_accounts(self) -> list[dict[str, str]]:
        return json.loads((self.datadir / "accounts.json").read_text())

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM to the devnet (it stops its nodes), then SIGKILL to its process group
        after `timeout`. Returns the devnet's exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group this devnet started (its nodes) is killed.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait(timeout=10)
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return process.returncode

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no devnet log)"
        return "\n".join(text.splitlines()[-lines:])


# MARK: raw JSON-RPC over HTTP


def rpc_raw(url: str, payload: Any, timeout: float = 30, raw_body: bytes | None = None,
            connection: http.client.HTTPConnection | None = None) -> tuple[int, Any]:
    """POSTs a JSON-RPC payload (or `raw_body` as is); returns the HTTP status and the parsed
    JSON (None for an empty body)."""
    body = raw_body if raw_body is not None else json.dumps(payload).encode()
    parsed = urllib.parse.urlsplit(url)
    own = connection is None
    conn = connection or http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request("POST", parsed.path or "/", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)
    finally:
        if own:
            conn.close()


def http_get(url: str, timeout: float = 10) -> tuple[int, str, str]:
    """GET; returns status, content type and body text."""
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request("GET", parsed.path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        conn.close()


def call(url: str, method: str, *params: Any) -> Any:
    """One request; the result, or AssertionError with the error object."""
    status, body = rpc_raw(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    assert status == 200, (status, body)
    assert "error" not in body, body
    return body["result"]


def rpc_error(url: str, method: str, *params: Any) -> dict:
    """One request expected to fail; its error object."""
    status, body = rpc_raw(url, {"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)})
    assert status == 200, (status, body)
    assert "error" in body and "result" not in body, f"expected an error for {method}{list(params)}, got {body}"
    assert body["id"] == 7 and body["jsonrpc"] == "2.0", body
    return body["error"]


# MARK: polling


def wait_until(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1, what: str = "condition") -> Any:
    """Polls until `predicate()` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# MARK: transactions


def sign(account, **fields) -> Any:
    """Signs a transaction dict with eth-account (chainId defaults to the devnet's)."""
    fields.setdefault("chainId", CHAIN_ID)
    fields.setdefault("gas", 21_000)
    fields.setdefault("value", 0)
    fields.setdefault("data", b"")
    return account.sign_transaction(fields)


def dynamic_fee(w3, tip: int = GWEI, cap_multiplier: int = 3) -> dict:
    """EIP-1559 fee fields: the tip plus a fee cap well above the next base fee."""
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    return {"type": 2, "maxPriorityFeePerGas": tip, "maxFeePerGas": cap_multiplier * base + tip}


# MARK: devices


DEVICE_PROOF_TAGS = {"register": b"MOTE-DEVICE-REGISTER-V1", "preRegister": b"MOTE-DEVICE-PREREGISTER-V1",
                     "claim": b"MOTE-DEVICE-CLAIM-V1"}


def device_id_of(curve: int, public: bytes) -> str:
    """A device's id: the last 20 bytes of keccak256("mote-device" ‖ curve ‖ public key) (docs/TELEMETRY.md)."""
    from eth_utils import keccak

    return "0x" + keccak(b"mote-device" + bytes([curve]) + public)[12:].hex()


def device_proof(key, device_id: str, account: str, action: str = "register", chain_id: int = CHAIN_ID) -> bytes:
    """The possession proof of docs/DEVICES.md made with an eth-keys secp256k1 device key: r ‖ s
    (low s) over SHA-256(tag ‖ chainId (8 BE) ‖ device id ‖ account)."""
    import hashlib

    digest = hashlib.sha256(DEVICE_PROOF_TAGS[action] + chain_id.to_bytes(8, "big") + bytes.fromhex(device_id[2:])
                            + bytes.fromhex(account[2:])).digest()
    signature = key.sign_msg_hash(digest)
    return signature.r.to_bytes(32, "big") + signature.s.to_bytes(32, "big")


def operator_proof(operator_key: bytes, owner: str, chain_id: int = CHAIN_ID) -> bytes:
    """The operator key's consent to sign for `owner`'s candidate (registerCandidate's and
    updateCandidate's operatorProof): its signature r‖s‖v of
    keccak256("MOTE-OPERATOR-V1" ‖ chainId (8 bytes BE) ‖ owner), docs/STAKING.md."""
    from eth_keys import keys
    from eth_utils import keccak, to_bytes

    digest = keccak(b"MOTE-OPERATOR-V1" + chain_id.to_bytes(8, "big") + to_bytes(hexstr=owner))
    return keys.PrivateKey(bytes(operator_key)).sign_msg_hash(digest).to_bytes()


class RevertingSender:
    """Sends contract calls from one account with explicit nonces and gas, so that a call that
    reverts is still sent (web3.py would refuse it at gas estimation) and mined; returns the
    node's own receipt, which carries the revert reason (failureReason)."""

    def __init__(self, w3, url: str, account, gas: int = 500_000) -> None:
        self.w3, self.url, self.account, self.gas = w3, url, account, gas
        self.nonce = w3.eth.get_transaction_count(account.address, "pending")

    def send(self, function, value: int = 0, gas: int | None = None) -> dict:
        base = self.w3.eth.get_block("latest")["baseFeePerGas"]
        tx = function.build_transaction({
            "from": self.account.address, "value": value, "chainId": CHAIN_ID, "type": 2, "nonce": self.nonce,
            "gas": gas or self.gas, "maxPriorityFeePerGas": GWEI, "maxFeePerGas": 3 * base + GWEI,
        })
        self.nonce += 1
        signed = self.account.sign_transaction(tx)
        self.w3.eth.send_raw_transaction(signed.raw_transaction)
        self.w3.eth.wait_for_transaction_receipt(signed.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
        return call(self.url, "eth_getTransactionReceipt", "0x" + signed.hash.hex().removeprefix("0x"))
