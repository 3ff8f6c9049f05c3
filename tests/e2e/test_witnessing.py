"""Proof of Assignment end to end: a devnet, a fleet of simulated micro-miners (`mote simulate
devices --micro-mine`) — light clients that follow final headers, check their commit
certificates and attest the heights they are assigned to — over JSON-RPC and over MQTT
through the stream node. Blocks get witnessed, the owners are paid exactly accepted ×
reward, the one incoherent device is blacklisted, and witnessing does not slow finality."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from eth_utils import keccak
from web3 import Web3

from mote_e2e import Devnet, call, free_port_block, mote_binary, wait_until

POOL = Web3.to_checksum_address("0x00000000000000000000000000004d4f54450006")
TOPIC_ACCEPTED = "0x" + keccak(text="AttestationAccepted(address,uint64,bytes32,uint256)").hex()
TOPIC_WITNESSED = "0x" + keccak(text="BlockWitnessed(uint64,bytes32,uint32)").hex()
TOPIC_BLACKLISTED = "0x" + keccak(text="WitnessBlacklisted(address,uint64,uint64)").hex()
HTTP_FLEET = 16
MQTT_FLEET = 4
MINING_SECONDS = 30


class WitnessDevnet(Devnet):
    """Four delegates with a stream node (MQTT) in node 0, short epochs so that joins count soon."""

    stream_port: int = 0
    mqtt_port: int = 0

    def command(self, *extra: str) -> list[str]:
        if not self.stream_port:
            base = free_port_block(2)
            self.stream_port, self.mqtt_port = base, base + 1
        return super().command(
            "--stream", "--stream-port", str(self.stream_port), "--mqtt-port", str(self.mqtt_port), "--epoch-length", "10", *extra)


@pytest.fixture(scope="module")
def net():
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed (make test installs it)")
    root = Path(tempfile.mkdtemp(prefix="mote-e2e-witnessing-"))
    devnet = WitnessDevnet(datadir=root / "devnet", nodes=4, block_time_ms=500, accounts=4)
    try:
        devnet.start()
        yield devnet
    except BaseException:
        print(devnet.log_tail(80))
        raise
    finally:
        devnet.stop()
        shutil.rmtree(root, ignore_errors=True)


def head(url: str) -> int:
    return int(call(url, "eth_blockNumber"), 16)


def block_interval(url: str, blocks: int) -> float:
    """Seconds per block over the next `blocks` blocks, timed from one new head to another."""
    start_height = head(url)
    wait_until(lambda: head(url) > start_height, timeout=30, interval=0.02, what="a new block")
    first = head(url)
    started = time.monotonic()
    wait_until(lambda: head(url) >= first + blocks, timeout=60, interval=0.02, what=f"{blocks} blocks")
    return (time.monotonic() - started) / (head(url) - first)


def balance_at_quiet_head(url: str, address: str) -> tuple[int, int]:
    """(head, balance) read at one head: retried until the head did not move in between."""
    while True:
        before = head(url)
        balance = int(call(url, "eth_getBalance", address, "latest"), 16)
        if head(url) == before:
            return before, balance


def logs(url: str, topic: str, from_block: int, to_block: int, *topics) -> list[dict]:
    return call(url, "eth_getLogs", {
        "address": POOL, "fromBlock": hex(from_block), "toBlock": hex(to_block), "topics": [topic, *topics]})


def fleet(net: WitnessDevnet, account: dict, folder: Path, count: int, *extra: str) -> subprocess.Popen:
    key_file = folder / "owner.key"
    key_file.write_text(account["privateKey"] + "\n")
    return subprocess.Popen(
        [mote_binary(), "simulate", "devices", "--micro-mine", "--count", str(count), "--seconds", str(MINING_SECONDS),
         "--dir", str(folder / "devices"), "--rpc", net.http_urls[0], "--key-file", str(key_file), "--timeout", "120",
         "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_fleet_witnesses_blocks_and_is_paid(net):
    try:
        check_fleet(net)
    except BaseException:
        print("\n--- devnet log tail ---\n" + net.log_tail(120))
        raise


def check_fleet(net):
    url = net.http_urls[0]
    parameters = call(url, "mote_witnessParameters")
    reward = int(parameters["attestationReward"], 16)
    accounts = net.read_accounts()
    http_owner, mqtt_owner = accounts[1], accounts[2]

    baseline = block_interval(url, 16)

    work = Path(tempfile.mkdtemp(prefix="mote-e2e-fleet-"))
    (work / "http").mkdir()
    (work / "mqtt").mkdir()
    try:
        http_fleet = fleet(net, http_owner, work / "http", HTTP_FLEET, "--incoherent", "1")
        mqtt_fleet = fleet(net, mqtt_owner, work / "mqtt", MQTT_FLEET, "--mqtt", f"127.0.0.1:{net.mqtt_port}",
                           "--mqtt-provision", str(net.datadir / "stream"))
        # The HTTP owner's transactions: a registration and a join per device; after them it sends nothing.
        def joined() -> bool:
            for process in (http_fleet, mqtt_fleet):
                if process.poll() is not None:
                    out, err = process.communicate()
                    raise AssertionError(f"the fleet exited early ({process.returncode}): {out[-2000:]} {err[-2000:]}")
            return int(call(url, "eth_getTransactionCount", http_owner["address"], "latest"), 16) >= 2 * HTTP_FLEET

        wait_until(joined, timeout=120, interval=0.2, what="the fleet's registrations and joins")
        start_height, start_balance = balance_at_quiet_head(url, http_owner["address"])
        # Once the joins count (next epoch) attestations are accepted; then time blocks under load.
        wait_until(lambda: logs(url, TOPIC_ACCEPTED, start_height, head(url)), timeout=60, interval=0.5,
                   what="the first accepted attestation")
        loaded = block_interval(url, 16)
        outputs = []
        for process in (http_fleet, mqtt_fleet):
            out, err = process.communicate(timeout=MINING_SECONDS + 120)
            assert process.returncode == 0, err[-3000:]
            outputs.append(json.loads(out))
        http_summary, mqtt_summary = outputs
        # Let the last attestations land, then read the owner's balance at a quiet head.
        time.sleep(2)
        settled = head(url)
        wait_until(lambda: head(url) >= settled + 4, timeout=30, what="4 more blocks")
        end_height, end_balance = balance_at_quiet_head(url, http_owner["address"])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nblock interval: {baseline * 1000:.0f} ms without the fleet, {loaded * 1000:.0f} ms with "
          f"{HTTP_FLEET + MQTT_FLEET} micro-miners")
    print(f"HTTP fleet: sent {http_summary['sent']}, accepted by the node {http_summary['acceptedByNode']}, "
          f"on chain {http_summary['acceptedOnChain']}; MQTT fleet: sent {mqtt_summary['sent']}, "
          f"on chain {mqtt_summary['acceptedOnChain']}")

    # Blocks got witnessed, each publicly checkable on chain.
    witnessed = logs(url, TOPIC_WITNESSED, start_height, end_height)
    assert witnessed, "no BlockWitnessed event"
    height = int(witnessed[0]["topics"][1], 16)
    status = call(url, "mote_witnessStatus", hex(height))
    assert status["witnessed"] is True
    assert status["blockHash"] == call(url, "eth_getBlockByNumber", hex(height), False)["hash"]

    # Honest work paid: the owner's balance grew by exactly its witnesses' accepted rewards.
    ids = {w["device"].lower() for w in http_summary["witnesses"]}
    accepted = [log for log in logs(url, TOPIC_ACCEPTED, start_height + 1, end_height)
                if "0x" + log["topics"][1][-40:] in ids]
    assert accepted, "no attestation of the HTTP fleet was accepted"
    paid = sum(int(log["data"][66:130], 16) for log in accepted)
    assert paid == len(accepted) * reward
    assert end_balance - start_balance == paid
    assert mqtt_summary["acceptedOnChain"] > 0, "no attestation sent over MQTT made it on chain"

    # Incoherent work punished: device 0 of the HTTP fleet attested wrong hashes.
    cheater = http_summary["witnesses"][0]
    assert cheater["incoherent"] and cheater["incoherentOnChain"] >= 1 and cheater["blacklisted"]
    assert cheater["earnedWei"] == "0"
    punished = logs(url, TOPIC_BLACKLISTED, 0, end_height, "0x" + "0" * 24 + cheater["device"][2:].lower())
    assert punished
    honest = http_summary["witnesses"][1:]
    assert not any(w["blacklisted"] for w in honest)

    # Witnessing never delays finality: the block interval stays within tolerance.
    assert loaded <= baseline * 1.5 + 0.25, (baseline, loaded)
