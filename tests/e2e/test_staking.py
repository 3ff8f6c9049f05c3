"""Staking end to end, as users would do it with web3.py: a new candidate registers and is
voted for until it enters the producer set; its own node (started here) produces blocks;
rewards arrive and are claimed; its node is stopped and the candidate goes on probation; the
voter payouts report adds up to the candidate's declared share of its rewards."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.logs import DISCARD

from mote_e2e import CHAIN_ID, GWEI, MOTE, REPO, Devnet, call, free_port_block, mote_binary, operator_proof, wait_until

STAKING = Web3.to_checksum_address("0x00000000000000000000000000004d4f54450002")
REWARDING = Web3.to_checksum_address("0x00000000000000000000000000004d4f54450003")
EPOCH_LENGTH = 8


def abi(name: str) -> list:
    return json.loads((REPO / "docs" / "abi" / f"{name}.json").read_text())


class StakingDevnet(Devnet):
    """A devnet with short epochs and one-second staking days."""

    def command(self, *extra: str) -> list[str]:
        return super().command("--epoch-length", str(EPOCH_LENGTH), "--day-seconds", "1", *extra)


@pytest.fixture(scope="module")
def net():
    root = Path(tempfile.mkdtemp(prefix="mote-e2e-staking-"))
    devnet = StakingDevnet(datadir=root / "devnet", nodes=4, block_time_ms=500, accounts=6)
    extra: list[subprocess.Popen] = []
    try:
        devnet.start()
        yield devnet, root, extra
    finally:
        for process in extra:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        devnet.stop()
        shutil.rmtree(root, ignore_errors=True)


def send(w3: Web3, account, function, value: int = 0) -> dict:
    """Signs a contract call with eth-account, sends it and returns its receipt."""
    tx = function.build_transaction({
        "from": account.address, "value": value, "chainId": CHAIN_ID, "type": 2,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "maxPriorityFeePerGas": GWEI, "maxFeePerGas": 3 * w3.eth.get_block("latest")["baseFeePerGas"] + GWEI,
    })
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction), timeout=30)
    return receipt


def epoch_info(url: str, epoch: int | None = None) -> dict:
    return call(url, "mote_epoch", *([] if epoch is None else [hex(epoch)]))


def start_candidate_node(devnet: Devnet, root: Path, key_hex: str) -> subprocess.Popen:
    """`mote init` with the devnet's genesis, then `mote node` with the candidate's operator key."""
    folder = root / "candidate"
    folder.mkdir()
    (folder / "operator.key").write_text(key_hex + "\n")
    subprocess.run([mote_binary(), "init", "--genesis", str(devnet.datadir / "genesis.json"), "--datadir", str(folder / "data")],
                   check=True, capture_output=True, timeout=60)
    base = free_port_block(3)
    peers = ", ".join(f'"127.0.0.1:{devnet.p2p_port + i}"' for i in range(devnet.nodes))
    (folder / "config.toml").write_text(f"""[node]
name = "candidate"
datadir = "data"
[delegate]
key_file = "operator.key"
[p2p]
listen = "127.0.0.1:{base}"
peers = [{peers}]
[rpc]
listen = "127.0.0.1:{base + 1}"
ws_listen = "127.0.0.1:{base + 2}"
[consensus]
block_interval_ms = 500
propose_timeout_ms = 500
vote_timeout_ms = 250
round_timeout_delta_ms = 125
""")
    log = open(folder / "node.log", "ab")
    return subprocess.Popen([mote_binary(), "node", "--config", str(folder / "config.toml")], stdout=log, stderr=subprocess.STDOUT)


def test_a_candidate_is_elected_produces_earns_and_is_put_on_probation(net):
    devnet, root, extra = net
    url = devnet.http_urls[0]
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    staking = w3.eth.contract(address=STAKING, abi=abi("Staking"))
    rewarding = w3.eth.contract(address=REWARDING, abi=abi("Rewarding"))
    keys = [Account.from_key(entry["privateKey"]) for entry in devnet.read_accounts()]
    owner, voter1, voter2 = keys[0], keys[1], keys[2]
    operator = Account.create()

    # Register with 2,000 MOTE of self-stake and a 40 % voter share; two voters stake.
    receipt = send(w3, owner, staking.functions.registerCandidate(
        "newbie", operator.address, owner.address, 0, False, 4_000, operator_proof(operator.key, owner.address)),
                   value=10 * MOTE + 2_000 * MOTE)
    assert receipt.status == 1
    registered = staking.events.CandidateRegistered().process_receipt(receipt, errors=DISCARD)
    assert registered[0].args.name == "newbie" and registered[0].args.operatorAddress == operator.address
    assert send(w3, voter1, staking.functions.createStake("newbie", 0, False), value=3_000 * MOTE).status == 1
    assert send(w3, voter2, staking.functions.createStake("newbie", 30, True), value=1_000 * MOTE).status == 1
    candidate = staking.functions.candidateByName("newbie").call()
    assert candidate[1] == owner.address and candidate[2] == operator.address
    assert candidate[6] > 6_000 * MOTE  # 2000 × 1.06 + 3000 + 1000 × 1.29
    extra.append(start_candidate_node(devnet, root, operator.key.hex()))

    # The next election seats it, and its node produces blocks.
    elected_epoch = wait_until(
        lambda: next((int(e["epoch"], 16) for e in [epoch_info(url)]
                      if any(d["operator"] == operator.address.lower() for d in e["delegates"])), None),
        timeout=60, what="the candidate in the delegate set")
    info = epoch_info(url, elected_epoch)
    assert info["delegates"][0]["operator"] == operator.address.lower(), info  # the most votes rank first
    assert operator.address.lower() in info["producers"]
    wait_until(lambda: any(int(d["produced"], 16) > 0 for d in epoch_info(url)["delegates"] if d["operator"] == operator.address.lower())
               or int(epoch_info(url)["epoch"], 16) > elected_epoch, timeout=60, what="a block by the candidate's node")
    produced = sum(int(b["miner"] == operator.address.lower()) for b in
                   (call(url, "eth_getBlockByNumber", hex(h), False) for h in range((elected_epoch - 1) * EPOCH_LENGTH + 1, w3.eth.block_number + 1)))
    assert produced > 0, "the candidate's node produced no block"

    # Rewards accrue to its reward address (the owner) and are claimed.
    wait_until(lambda: rewarding.functions.unclaimed(owner.address).call() > 0, timeout=60, what="rewards for the candidate")
    before = w3.eth.get_balance(owner.address)
    receipt = send(w3, owner, rewarding.functions.claim(0))
    assert receipt.status == 1
    claimed = rewarding.events.Claimed().process_receipt(receipt, errors=DISCARD)[0].args.amount
    assert claimed > 0
    assert w3.eth.get_balance(owner.address) == before + claimed - receipt.gasUsed * receipt.effectiveGasPrice

    # Its node stops: after an epoch as a producer without blocks it is on probation.
    node = extra[-1]
    node.terminate()
    node.wait(timeout=20)
    stopped_at = int(epoch_info(url)["epoch"], 16)
    wait_until(lambda: staking.functions.candidateByName("newbie").call()[8] > stopped_at, timeout=120, interval=0.5,
               what="probation of the stopped candidate")
    on_probation = call(url, "mote_probation")
    assert [c["name"] for c in on_probation] == ["newbie"]

    # The payouts report: per epoch, the voters' amounts add up to 40 % of the rewards.
    if "rewards" not in subprocess.run([mote_binary(), "--help"], capture_output=True, text=True).stdout:
        pytest.skip("`mote rewards report` is not in this build")
    last = int(epoch_info(url)["epoch"], 16) - 1
    result = subprocess.run([mote_binary(), "rewards", "report", "--delegate", "newbie", "--epochs", f"{elected_epoch}..{last}",
                             "--format", "json", "--rpc", url], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    epochs = report["epochs"] if isinstance(report, dict) else report
    assert epochs, report
    voters = {voter1.address.lower(), voter2.address.lower()}
    for epoch in epochs:
        total = sum(int(str(p["amount"]), 0) for p in epoch["payouts"])
        rewards = int(str(epoch["rewards"]), 0)
        assert int(str(epoch["voterShare"]), 0) == rewards * 4_000 // 10_000
        assert total == int(str(epoch["voterShare"]), 0)
        assert {p["owner"].lower() for p in epoch["payouts"]} <= voters
    assert any(int(str(e["rewards"]), 0) > 0 for e in epochs)
