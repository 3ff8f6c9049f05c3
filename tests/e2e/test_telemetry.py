"""Devices end to end, as a device maker would test them from Python: a device key made with
eth-keys (secp256k1), the device registered on chain with web3.py (with the device key's
possession proof for its owner), telemetry envelopes signed
by hand from docs/TELEMETRY.md and sent to the devnet's stream node over HTTP and over MQTT
(paho-mqtt through the devnet's mosquitto, which refuses anonymous clients: the device is added
to its password file, docs/STREAM.md); bad messages are refused with their codes while good
ones are stored, each MQTT ack signed by the stream node; `mote device data` reads them back."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import secrets
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak
from web3 import Web3

from mote_e2e import CHAIN_ID, GWEI, REPO, Devnet, call, device_id_of, device_proof, free_port_block, mote_binary

REGISTRY = Web3.to_checksum_address("0x00000000000000000000000000004d4f54450004")


class StreamDevnet(Devnet):
    """A one-node devnet with its stream node and MQTT broker."""

    stream_port: int = 0
    mqtt_port: int = 0

    def command(self, *extra: str) -> list[str]:
        if not self.stream_port:
            base = free_port_block(2)
            self.stream_port, self.mqtt_port = base, base + 1
        return super().command("--stream", "--stream-port", str(self.stream_port), "--mqtt-port", str(self.mqtt_port), *extra)


@pytest.fixture(scope="module")
def net():
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed (make test installs it)")
    root = Path(tempfile.mkdtemp(prefix="mote-e2e-telemetry-"))
    devnet = StreamDevnet(datadir=root / "devnet", nodes=1, block_time_ms=300, accounts=2)
    try:
        devnet.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{devnet.stream_port}/health", timeout=2) as response:
                    if json.loads(response.read()).get("mqtt") == "connected":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"stream node not healthy:\n{devnet.log_tail()}"
            time.sleep(0.2)
        yield devnet
    finally:
        devnet.stop()
        shutil.rmtree(root, ignore_errors=True)


def add_mqtt_user(net: StreamDevnet, user: str, password: str) -> None:
    """What an operator does for a new device (docs/STREAM.md): a password file entry, then SIGHUP."""
    folder = net.datadir / "stream"
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    subprocess.run([tool, "-b", str(folder / "mosquitto.passwd"), user, password], check=True, timeout=30)
    os.kill(int((folder / "mosquitto.pid").read_text().strip()), signal.SIGHUP)
    time.sleep(0.5)


def mqtt_connect(net: StreamDevnet, user: str | None = None, password: str | None = None):
    """A paho client and the broker's CONNACK reason code (0: accepted)."""
    connected: queue.Queue = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"e2e-{time.time_ns()}")
    client.on_connect = lambda _c, _u, _f, reason, _p: connected.put(reason.value)
    if user is not None:
        client.username_pw_set(user, password)
    client.connect("127.0.0.1", net.mqtt_port)
    client.loop_start()
    try:
        code = connected.get(timeout=15)
    except queue.Empty:
        code = -1
    return client, code


class Device:
    """A secp256k1 device key and the envelope rules of docs/TELEMETRY.md."""

    def __init__(self) -> None:
        self.key = keys.PrivateKey(keccak(text=f"e2e device {time.time_ns()}"))
        self.public = self.key.public_key.to_compressed_bytes()
        self.id = device_id_of(2, self.public)

    def envelope(self, seq: int, payload: bytes, ts: int | None = None, content_type: str = "application/json") -> dict:
        ts = int(time.time() * 1000) if ts is None else ts
        device = bytes.fromhex(self.id[2:])
        ct = content_type.encode()
        message = (b"MOTE-TELEMETRY-V1" + struct.pack(">Q", CHAIN_ID) + device + struct.pack(">QQ", seq, ts)
                   + bytes([len(ct)]) + ct + struct.pack(">I", len(payload)) + payload)
        signature = self.key.sign_msg_hash(hashlib.sha256(message).digest())
        sig = signature.r.to_bytes(32, "big") + signature.s.to_bytes(32, "big")
        return {"v": 1, "device": self.id, "seq": seq, "ts": ts, "type": content_type,
                "payload": base64.b64encode(payload).decode(), "sig": "0x" + sig.hex()}

    def binary(self, envelope: dict) -> bytes:
        ct = envelope["type"].encode()
        payload = base64.b64decode(envelope["payload"])
        sig = bytes.fromhex(envelope["sig"][2:])
        return (bytes([1]) + bytes.fromhex(self.id[2:]) + struct.pack(">QQ", envelope["seq"], envelope["ts"])
                + bytes([len(ct)]) + ct + struct.pack(">I", len(payload)) + payload + bytes([len(sig)]) + sig)


def post(url: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def register(w3: Web3, owner, device: Device, url: str) -> None:
    registry = w3.eth.contract(address=REGISTRY, abi=json.loads((REPO / "docs" / "abi" / "DeviceRegistry.json").read_text()))
    fee = int(call(url, "mote_deviceParameters")["activationFee"], 16)
    proof = device_proof(device.key, device.id, owner.address)  # the device proves its key for its owner
    tx = registry.functions.registerDevice(2, device.public, "e2e-tracker", "pytest", proof).build_transaction({
        "from": owner.address, "value": fee, "chainId": CHAIN_ID, "type": 2,
        "nonce": w3.eth.get_transaction_count(owner.address, "pending"),
        "maxPriorityFeePerGas": GWEI, "maxFeePerGas": 3 * w3.eth.get_block("latest")["baseFeePerGas"] + GWEI,
    })
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(owner.sign_transaction(tx).raw_transaction), timeout=30)
    assert receipt.status == 1
    assert call(url, "mote_device", device.id)["status"] == "active"


def test_signed_telemetry_over_http_and_mqtt(net):
    url = net.http_urls[0]
    stream = f"http://127.0.0.1:{net.stream_port}"
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    owner = Account.from_key(net.read_accounts()[0]["privateKey"])
    device, stranger = Device(), Device()
    register(w3, owner, device, url)

    # One good message, then a batch where each bad one is refused with its code.
    status, outcome = post(stream + "/v1/telemetry", device.envelope(1, b'{"steps":10}'))
    assert status == 200 and outcome["status"] == "accepted", outcome
    forged = device.envelope(3, b'{"steps":30}')
    forged["payload"] = base64.b64encode(b'{"steps":9999}').decode()
    batch = [
        device.envelope(2, b'{"steps":20}'),                              # good
        device.envelope(1, b'{"steps":10}'),                              # replay
        forged,                                                           # bad signature
        stranger.envelope(1, b"{}"),                                      # unknown device
        device.envelope(4, b'{"steps":40}', ts=int(time.time() * 1000) - 3_600_000),  # stale
        {"v": 1, "device": device.id},                                    # malformed
        device.envelope(5, b'{"steps":50}'),                              # good
    ]
    status, answer = post(stream + "/v1/telemetry/batch", batch)
    codes = [r.get("code") if r["status"] == "rejected" else "accepted" for r in answer["results"]]
    assert codes == ["accepted", "replay", "bad_signature", "unknown_device", "stale_timestamp", "malformed", "accepted"], answer
    assert answer["accepted"] == 2 and answer["rejected"] == 5

    # MQTT: the broker refuses anonymous clients and unknown passwords.
    for user, password in ((None, None), (device.id, "not-the-password")):
        intruder, code = mqtt_connect(net, user, password)
        intruder.loop_stop()
        intruder.disconnect()
        assert code != 0, f"the broker let {user or 'an anonymous client'} in"

    # The device logs in with its id; it publishes the binary form to its topic, and the
    # node's signed ack comes back on its ack topic.
    password = secrets.token_hex(16)
    add_mqtt_user(net, device.id, password)
    acks: queue.Queue = queue.Queue()
    client, code = mqtt_connect(net, device.id, password)
    assert code == 0, f"CONNACK {code}"
    client.on_message = lambda _c, _u, message: acks.put(json.loads(message.payload))
    try:
        client.subscribe(f"mote/v1/ack/{device.id}", qos=1)
        time.sleep(0.5)
        client.publish(f"mote/v1/telemetry/{device.id}", device.binary(device.envelope(6, b'{"steps":60}')), qos=1).wait_for_publish(10)
        client.publish(f"mote/v1/telemetry/{device.id}", device.binary(device.envelope(6, b'{"steps":60}')), qos=1).wait_for_publish(10)
        first, second = acks.get(timeout=15), acks.get(timeout=15)
    finally:
        client.loop_stop()
        client.disconnect()
    assert first["status"] == "accepted" and first["seq"] == 6, first
    assert second["status"] == "rejected" and second["code"] == "replay", second
    for ack in (first, second):  # Ed25519 by the node's ack key (verified by the SDK's tests)
        assert isinstance(ack.get("sig"), str) and len(ack["sig"]) == 130, ack
    health = json.loads(urllib.request.urlopen(stream + "/health", timeout=10).read())
    assert len(health["ackKey"]) == 66, health

    # Read back, as the owner would export it: the four accepted messages in order.
    result = subprocess.run([mote_binary(), "device", "data", "--device", device.id, "--stream", stream],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    stored = json.loads(result.stdout)["messages"]
    assert [m["seq"] for m in stored] == [1, 2, 5, 6]
    assert base64.b64decode(stored[-1]["payload"]) == b'{"steps":60}'
    csv = subprocess.run([mote_binary(), "device", "data", "--device", device.id, "--stream", stream, "--format", "csv", "--limit", "2"],
                         capture_output=True, text=True, timeout=60)
    assert csv.returncode == 0, csv.stderr
    assert len(csv.stdout.strip().splitlines()) == 3
