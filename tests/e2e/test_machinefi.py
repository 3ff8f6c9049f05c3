"""MachineFi end to end (docs/MACHINEFI.md): a one-node devnet, a stream node whose result
poster is an honest bonded operator, simulated GPS step trackers (`mote simulate devices`), a
sponsor's step-goal project with the real applet (applets/step-goal.wasm), owners paid exactly
the rule's amounts, a forged result by a dishonest operator challenged and slashed, and an
honest result that survives a frivolous challenge (the challenger's deposit lost).

Windows are 20 s and challenge periods 40 s (room for the challenges on a loaded machine); the run takes about 90 s."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from eth_utils import keccak

from mote_e2e import MOTE, REPO, Devnet, call, free_port_block, mote_binary, wait_until

WINDOW = 20
CHALLENGE = 40
GOAL = 25
REWARD = 2 * MOTE
APPLET = REPO / "applets" / "step-goal.wasm"


def mote(*args: str, timeout: float = 120) -> dict:
    """Runs `mote ARGS --json`; the printed JSON (the command must succeed)."""
    result = subprocess.run([mote_binary(), *args, "--json"], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"mote {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def q(value: str) -> int:
    return int(value, 16)


def window_root(envelopes: list[bytes]) -> bytes:
    """WindowCommitment.root: a keccak Merkle tree over the envelopes' hashes, odd last node promoted."""
    level = [keccak(e) for e in envelopes]
    if not level:
        return bytes(32)
    while len(level) > 1:
        level = [keccak(level[i] + level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


def step_sum(envelope: bytes) -> int:
    """The "steps" of one binary envelope's JSON payload (docs/TELEMETRY.md layout)."""
    # version (1) ‖ deviceId (20) ‖ sequence (8) ‖ timestamp (8) ‖ contentType (1 + n) ‖ payload (4 + m) ‖ signature
    offset = 1 + 20 + 8 + 8
    offset += 1 + envelope[offset]
    (length,) = struct.unpack(">I", envelope[offset:offset + 4])
    payload = json.loads(envelope[offset + 4:offset + 4 + length])
    return int(payload.get("steps", 0))


class MachineFiNet:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.devnet = Devnet(datadir=root / "devnet", nodes=1, block_time_ms=300, accounts=6)
        self.stream_port = free_port_block(1)
        self.stream = f"http://127.0.0.1:{self.stream_port}"
        self.stream_process: subprocess.Popen | None = None

    def start(self) -> None:
        self.devnet.start()
        self.rpc = self.devnet.http_urls[0]
        accounts = self.devnet.read_accounts()
        self.keys = {}
        for name, account in zip(["sponsor", "owner", "operator", "cheat", "challenger"], accounts):
            path = self.root / f"{name}.key"
            path.write_text(account["privateKey"])
            path.chmod(0o600)
            self.keys[name] = (account["address"], str(path))
        # The honest operator's stream node: stores telemetry and posts results for project 1.
        config = self.root / "stream.toml"
        config.write_text(
            f'chain_id = 4689\nrpc = "{self.rpc}"\nstore = "sqlite:{self.root}/stream.db"\n\n'
            f'[http]\nlisten = "127.0.0.1:{self.stream_port}"\n\n'
            f'[operator]\nkey_file = "{self.keys["operator"][1]}"\nprojects = [1]\npoll_seconds = 1\nsettle_seconds = 3\n'
        )
        self.stream_log = open(self.root / "stream.log", "ab", buffering=0)
        self.stream_process = subprocess.Popen(
            [mote_binary(), "stream", "--config", str(config)], stdout=self.stream_log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(self.stream + "/health", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(healthy, timeout=60, interval=0.2, what="the stream node")

    def tx(self, who: str, *args: str, timeout: float = 120) -> dict:
        return mote(*args, "--key-file", self.keys[who][1], "--rpc", self.rpc, timeout=timeout)

    def envelopes(self, device: str, window: int) -> list[bytes]:
        url = f"{self.stream}/v1/devices/{device}/envelopes?from={window * WINDOW}&to={(window + 1) * WINDOW}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
        return [bytes.fromhex(e[2:]) for e in body["envelopes"]]

    def stop(self) -> None:
        if self.stream_process and self.stream_process.poll() is None:
            self.stream_process.terminate()
            try:
                self.stream_process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.stream_process.kill()
        self.devnet.stop()

    def log_tail(self) -> str:
        try:
            stream = (self.root / "stream.log").read_text(errors="replace").splitlines()[-40:]
        except OSError:
            stream = []
        return self.devnet.log_tail(30) + "\n--- stream ---\n" + "\n".join(stream)


@pytest.fixture(scope="module")
def net():
    if not APPLET.exists():
        pytest.fail(f"{APPLET} is missing (applets/build.sh builds it)")
    root = Path(tempfile.mkdtemp(prefix="mote-e2e-machinefi-"))
    network = MachineFiNet(root)
    try:
        network.start()
        yield network
    except BaseException:
        print(network.log_tail())
        raise
    finally:
        network.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_devices_earn_and_cheating_is_punished(net):
    rpc = net.rpc
    owner, _ = net.keys["owner"]
    params = call(rpc, "mote_projectParameters")
    bond, deposit, share = q(params["minimumOperatorBond"]), q(params["challengeDeposit"]), q(params["challengerShare"])

    # The sponsor launches the step-goal project (1), served by the honest operator, and a
    # second one (2) that only the dishonest operator posts to.
    common = ["--applet", str(APPLET), "--params-u64", str(GOAL), "--reward", "2", "--window", str(WINDOW),
              "--challenge", str(CHALLENGE)]
    created = net.tx("sponsor", "project", "create", "--name", "steps", "--pool", "100", *common)
    assert created["status"] == "success" and created["projectId"] == 1
    assert net.tx("sponsor", "project", "create", "--name", "steps-b", "--pool", "10", *common)["projectId"] == 2
    project = mote("project", "show", "1", "--rpc", rpc)
    assert project["appletHash"] == "0x" + keccak(APPLET.read_bytes()).hex() and project["status"] == "active"

    # Three simulated trackers owned by `owner`: registered, then opted into both projects.
    devices_dir = str(net.root / "devices")
    simulate = ["simulate", "devices", "--count", "3", "--rate", "3", "--stream", net.stream, "--dir", devices_dir,
                "--curve", "secp256k1"]
    first = net.tx("owner", *simulate, "--seconds", "1")
    devices = [d.lower() for d in first["deviceIds"]]
    # The owner chooses who may post each device's results: the honest operator for project 1,
    # for project 2 an operator that turns out to cheat.
    choice = {"1": net.keys["operator"][0], "2": net.keys["cheat"][0]}
    for device in devices:
        for project_id in ("1", "2"):
            assert net.tx("owner", "project", "join", project_id, "--device", device)["status"] == "success"
            chosen = net.tx("owner", "project", "poster", project_id, "--device", device, "--poster", choice[project_id])
            assert chosen["status"] == "success" and chosen["poster"].lower() == choice[project_id].lower()

    # They walk for two and a half windows.
    net.tx("owner", *simulate, "--seconds", str(int(2.5 * WINDOW)), timeout=180)
    last_window = int(time.time()) // WINDOW - 1  # the last window closed now

    # The honest poster posts every closed window since the devices joined.
    def posted() -> list[dict] | None:
        results = call(rpc, "mote_projectResults", "0x1")
        windows = {(r["deviceId"], q(r["window"])) for r in results}
        return results if all((d, last_window) in windows for d in devices) else None

    results = wait_until(posted, timeout=60, interval=1, what=f"results of window {last_window} for every device")

    # Every posted result is the applet's verdict on the stored messages, committed exactly.
    for result in results:
        envelopes = net.envelopes(result["deviceId"], q(result["window"]))
        steps = sum(step_sum(e) for e in envelopes)
        assert q(result["messageCount"]) == len(envelopes) > 0
        assert result["messagesRoot"] == "0x" + window_root(envelopes).hex()
        assert result["result"] == "0x" + (bytes([1 if steps >= GOAL else 0]) + struct.pack("<Q", steps)).hex()
        assert result["poster"].lower() == net.keys["operator"][0].lower()

    # The operator the owner chose for project 2 turns out dishonest: it bonds and posts a forged
    # result there, the real messages of a device's window but a step total the device never walked.
    cheat, _ = net.keys["cheat"]
    assert net.tx("cheat", "project", "bond", "deposit", "--amount", str(bond // MOTE))["status"] == "success"
    victim_window = last_window
    real = net.envelopes(devices[0], victim_window)
    forged = net.tx("cheat", "debug", "post-result", "--project", "2", "--device", devices[0], "--window", str(victim_window),
                    "--result", "0x01" + struct.pack("<Q", 10**9).hex(), "--count", str(len(real)),
                    "--root", "0x" + window_root(real).hex())
    forged_id = forged["resultId"]

    # A watcher challenges it with the stream node's copy of the window: reverted, bond slashed.
    challenger, _ = net.keys["challenger"]
    before = int(call(rpc, "eth_getBalance", challenger, "latest"), 16)
    outcome = net.tx("challenger", "project", "challenge", "--result", str(forged_id), "--stream", net.stream)
    assert outcome["upheld"] is True and int(outcome["slashed"]) == bond
    fee = int(outcome["feePaid"])
    assert int(call(rpc, "eth_getBalance", challenger, "latest"), 16) == before - fee + bond * share // 100
    cheat_bond = mote("project", "bond", "show", cheat, "--rpc", rpc)
    assert cheat_bond["total"] == "0" and cheat_bond["locked"] == "0"
    assert [r["status"] for r in call(rpc, "mote_deviceResults", devices[0]) if q(r["resultId"]) == forged_id] == ["reverted"]

    # A frivolous challenge of an honest pending result fails and costs the deposit.
    pending = [r for r in call(rpc, "mote_projectResults", "0x1") if r["status"] == "pending"]
    assert pending, "no honest result still in its challenge period"
    honest = min(pending, key=lambda r: q(r["window"]))  # its messages all arrived long ago
    pool_before = q(call(rpc, "mote_project", "0x1")["pool"])
    before = int(call(rpc, "eth_getBalance", challenger, "latest"), 16)
    outcome = net.tx("challenger", "project", "challenge", "--result", str(q(honest["resultId"])), "--stream", net.stream)
    assert outcome["upheld"] is False
    assert int(call(rpc, "eth_getBalance", challenger, "latest"), 16) == before - int(outcome["feePaid"]) - deposit
    assert q(call(rpc, "mote_project", "0x1")["pool"]) == pool_before + deposit

    # After the challenge periods every honest result of project 1 is settled, and each owner
    # was paid exactly the reward for every window whose goal was met.
    def settled() -> dict | None:
        rewards = call(rpc, "mote_ownerRewards", owner)
        ours = [r for d in rewards["devices"] for r in d["results"] if q(r["projectId"]) == 1 and q(r["window"]) <= last_window]
        return rewards if ours and all(r["status"] != "pending" for r in ours) else None

    rewards = wait_until(settled, timeout=CHALLENGE + 30, interval=1, what="settlement of project 1's results")
    assert q(rewards["paid"]) > 0
    for device in rewards["devices"]:
        mine = [r for r in device["results"] if q(r["projectId"]) == 1]
        for r in mine:
            if r["status"] == "pending":
                continue
            met = int(r["result"][2:4], 16) != 0
            assert r["status"] == ("paid" if met else "noReward"), r
            assert q(r["paid"]) == (REWARD if met else 0), r
        assert q(device["paid"]) == sum(q(r["paid"]) for r in device["results"])
    assert q(rewards["paid"]) == sum(q(d["paid"]) for d in rewards["devices"])
    assert honest["resultId"] in {r["resultId"] for d in rewards["devices"] for r in d["results"] if r["status"] in ("paid", "noReward")}

    # The owner's view from the CLI is mote_ownerRewards; every payout is on the owner's balance.
    view = mote("rewards", "devices", "--owner", owner, "--rpc", rpc)
    assert {d["deviceId"] for d in view["devices"]} == set(devices)
    assert q(view["paid"]) >= q(rewards["paid"])
