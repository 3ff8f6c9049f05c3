"""The NodeRegistry system contract through web3.py's contract API: a mutating call sent as a
transaction, its event in the receipt, in eth_getLogs and in a log filter, views read with
eth_call, gas estimated exactly, reverts."""

import json
import subprocess

import pytest
from eth_account import Account
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError

from mote_e2e import CHAIN_ID, GWEI, RECEIPT_TIMEOUT, REGISTRY_ABI_PATH, REGISTRY_ADDRESS, mote_binary, sign

REGISTERED_TOPIC = HexBytes(keccak(text="NodeRegistered(address,string,string)"))
UPDATED_TOPIC = HexBytes(keccak(text="NodeUpdated(address,string,string)"))


@pytest.fixture(scope="module")
def abi():
    return json.loads(REGISTRY_ABI_PATH.read_text())


@pytest.fixture
def registry(w3, abi):
    return w3.eth.contract(address=Web3.to_checksum_address(REGISTRY_ADDRESS), abi=abi)


def padded(address: str) -> HexBytes:
    return HexBytes(bytes(12) + bytes.fromhex(address[2:]))


def transact(w3, account, function, nonce: int, gas: int | None = None):
    """Builds, signs and sends a contract call as an EIP-1559 transaction; its receipt."""
    fields = {"from": account.address, "nonce": nonce, "chainId": CHAIN_ID,
              "maxPriorityFeePerGas": GWEI, "maxFeePerGas": 4 * GWEI}
    if gas is not None:
        fields["gas"] = gas
    tx = function.build_transaction(fields)
    signed = account.sign_transaction(tx)
    w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(signed.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1), tx


def test_published_abi_matches_the_cli(abi):
    out = subprocess.run([mote_binary(), "contracts", "abi", "NodeRegistry"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == abi
    listed = json.loads(subprocess.run([mote_binary(), "contracts", "list"], capture_output=True, text=True, timeout=30).stdout)
    assert {"name": "NodeRegistry", "address": REGISTRY_ADDRESS} in listed


def test_register_emits_event_and_view_reads_it(w3, w3_nodes, registry, account):
    me = account.address
    name, endpoint = "gateway-7", "https://gw7.example:8545"
    assert registry.functions.nodeOf(me).call() == [False, "", "", 0]
    count_before = registry.functions.nodeCount().call()

    register = registry.functions.register(name, endpoint)
    estimate = register.estimate_gas({"from": me})
    assert estimate > 21_000
    receipt, tx = transact(w3, account, register, nonce=0, gas=estimate)
    assert tx["gas"] == estimate
    assert tx["to"] == Web3.to_checksum_address(REGISTRY_ADDRESS)
    assert receipt["status"] == 1
    # System contracts meter deterministically: the estimate is what the call used.
    assert receipt["gasUsed"] == estimate
    assert receipt["to"] == Web3.to_checksum_address(REGISTRY_ADDRESS)

    # The event, raw and decoded.
    assert len(receipt["logs"]) == 1
    log = receipt["logs"][0]
    assert log["address"] == Web3.to_checksum_address(REGISTRY_ADDRESS)
    assert log["topics"] == [REGISTERED_TOPIC, padded(me)]
    assert log["transactionHash"] == receipt["transactionHash"]
    assert log["blockNumber"] == receipt["blockNumber"] and log["blockHash"] == receipt["blockHash"]
    assert log["removed"] is False
    events = registry.events.NodeRegistered().process_receipt(receipt)
    assert len(events) == 1
    assert dict(events[0]["args"]) == {"operator": me, "name": name, "endpoint": endpoint}
    assert receipt["logsBloom"] != HexBytes(bytes(256))

    # eth_getLogs by address and topic, over one block and over a range.
    block = receipt["blockNumber"]
    assert w3.eth.get_logs({"address": REGISTRY_ADDRESS, "topics": [REGISTERED_TOPIC],
                            "fromBlock": block, "toBlock": block}) == [log]
    mine = w3.eth.get_logs({"address": [REGISTRY_ADDRESS], "topics": [[REGISTERED_TOPIC, UPDATED_TOPIC], padded(me)],
                            "fromBlock": 0, "toBlock": "latest"})
    assert mine == [log]
    assert w3.eth.get_logs({"address": REGISTRY_ADDRESS, "topics": [UPDATED_TOPIC, padded(me)],
                            "fromBlock": 0, "toBlock": "latest"}) == []
    found = registry.events.NodeRegistered().get_logs(from_block=block, to_block=block, argument_filters={"operator": me})
    assert [dict(e["args"]) for e in found] == [{"operator": me, "name": name, "endpoint": endpoint}]
    assert w3_nodes[2].eth.get_logs({"blockHash": receipt["blockHash"], "address": REGISTRY_ADDRESS}) == [log]

    # The views read what was written.
    assert registry.functions.nodeOf(me).call() == [True, name, endpoint, block]
    assert registry.functions.nodeCount().call() == count_before + 1
    # A system contract shows a code marker (INVALID, "MOTE", its index), so tools treat it as a contract.
    assert w3.eth.get_code(REGISTRY_ADDRESS) == HexBytes(bytes([0xFE]) + b"MOTE" + bytes([0, 1]))


def test_update_with_a_log_filter(w3, registry, account):
    me = account.address
    receipt, _ = transact(w3, account, registry.functions.register("meter-1", ""), nonce=0)
    assert receipt["status"] == 1
    since = receipt["blockNumber"]
    log_filter = w3.eth.filter({"address": REGISTRY_ADDRESS, "topics": [UPDATED_TOPIC, padded(me)]})
    receipt, _ = transact(w3, account, registry.functions.update("meter-1b", "mqtt://10.0.0.7"), nonce=1)
    assert receipt["status"] == 1
    changes = w3.eth.get_filter_changes(log_filter.filter_id)
    assert len(changes) == 1
    assert changes[0]["transactionHash"] == receipt["transactionHash"]
    assert changes[0]["topics"] == [UPDATED_TOPIC, padded(me)]
    assert w3.eth.get_filter_changes(log_filter.filter_id) == []
    assert w3.eth.get_filter_logs(log_filter.filter_id) == changes
    assert w3.eth.uninstall_filter(log_filter.filter_id)
    decoded = registry.events.NodeUpdated().process_receipt(receipt)
    assert dict(decoded[0]["args"]) == {"operator": me, "name": "meter-1b", "endpoint": "mqtt://10.0.0.7"}
    # `since` stays the height of the registration.
    assert registry.functions.nodeOf(me).call() == [True, "meter-1b", "mqtt://10.0.0.7", since]


def test_reverts(w3, registry, account):
    me = account.address
    # update before register: the estimate (a simulation) reverts with the contract's reason.
    with pytest.raises(ContractLogicError) as info:
        registry.functions.update("x", "y").estimate_gas({"from": me})
    assert info.value.message == "execution reverted: not registered"
    assert HexBytes(info.value.data)[:4] == HexBytes("0x08c379a0")  # Error(string)
    with pytest.raises(ContractLogicError) as info:
        registry.functions.register("", "y").estimate_gas({"from": me})
    assert info.value.message == "execution reverted: name must be 1 to 64 bytes"
    # Sent anyway (with an explicit gas limit): mined with status 0 and no logs; the nonce is used.
    receipt, _ = transact(w3, account, registry.functions.update("x", "y"), nonce=0, gas=100_000)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert 21_000 < receipt["gasUsed"] <= 100_000
    assert w3.eth.get_transaction_count(me) == 1
    assert registry.functions.nodeOf(me).call() == [False, "", "", 0]


def test_sending_value_to_the_registry_reverts(w3, registry, account):
    with pytest.raises(ContractLogicError) as info:
        w3.eth.estimate_gas({"from": account.address, "to": REGISTRY_ADDRESS, "value": 1,
                             "data": registry.encode_abi("register", ["a", "b"])})
    message = info.value.message
    assert message.startswith("execution reverted: "), message
    assert "not payable" in message or "does not accept MOTE" in message, message


def test_unknown_selector_reverts(w3, account):
    with pytest.raises(ContractLogicError) as info:
        w3.eth.call({"from": account.address, "to": REGISTRY_ADDRESS, "data": "0xdeadbeef"})
    assert info.value.message.startswith("execution reverted")


def test_eth_call_simulates_a_state_changing_function(registry, account):
    assert registry.functions.register("dry-run", "").call({"from": account.address}) == []
