"""V3 keystores between Mote's CLI and eth-account, and the CLI's wallet paths against the
devnet: `mote tx sign` (sent with web3.py) and `mote transfer`."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from mote_e2e import CHAIN_ID, GWEI, MOTE, RECEIPT_TIMEOUT, mote_binary, wait_until

PASSWORD = "correct horse battery staple"


def mote(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MOTE_PASSWORD", "MOTE_KEYSTORE", "MOTE_DATADIR")}
    return subprocess.run([mote_binary(), *args], capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def password_file(tmp_path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.mark.parametrize("light", [False, True], ids=["standard-kdf", "light-kdf"])
def test_mote_keystore_decrypts_with_eth_account(tmp_path, password_file, light):
    keystore = tmp_path / "keystore"
    result = mote("keys", "new", "--keystore", str(keystore), "--password-file", str(password_file),
                  *(["--light-kdf"] if light else []))
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    assert Web3.is_checksum_address(made["address"])
    files = list(keystore.iterdir())
    assert [str(f) for f in files] == [made["path"]]
    assert files[0].name.startswith("UTC--") and files[0].name.endswith(made["address"][2:].lower())
    keyfile = json.loads(files[0].read_text())
    assert keyfile["version"] == 3
    assert keyfile["crypto"]["kdf"] == "scrypt"
    key = Account.decrypt(keyfile, PASSWORD)
    assert Account.from_key(key).address == made["address"]
    with pytest.raises(ValueError):
        Account.decrypt(keyfile, PASSWORD + "!")


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
def test_eth_account_keystore_imports_into_mote(tmp_path, password_file, kdf):
    account = Account.create()
    source = tmp_path / "from-eth-account.json"
    source.write_text(json.dumps(Account.encrypt(account.key, PASSWORD, kdf=kdf)))
    keystore = tmp_path / "keystore"
    result = mote("keys", "import", "--keystore", str(keystore), "--password-file", str(password_file),
                  "--keystore-file", str(source))
    assert result.returncode == 0, result.stdout + result.stderr
    listed = mote("keys", "list", "--keystore", str(keystore))
    assert listed.returncode == 0, listed.stderr
    assert account.address.lower() in listed.stdout.lower()
    shown = mote("keys", "show", account.address, "--keystore", str(keystore), "--password-file", str(password_file),
                 "--reveal-private-key")
    assert shown.returncode == 0, shown.stderr
    assert account.key.hex().removeprefix("0x") in shown.stdout


def test_mote_tx_sign_sent_with_web3(w3, account, tmp_path, password_file):
    """A key imported into Mote's keystore signs with `mote tx sign`; web3.py sends the raw bytes."""
    keystore = tmp_path / "keystore"
    key_file = tmp_path / "key"
    key_file.write_text(account.key.hex())
    imported = mote("keys", "import", "--keystore", str(keystore), "--password-file", str(password_file),
                    "--private-key-file", str(key_file), "--light-kdf")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    recipient = Account.create().address
    signed = mote("tx", "sign", "--keystore", str(keystore), "--password-file", str(password_file),
                  "--from", account.address, "--to", recipient, "--chain-id", str(CHAIN_ID), "--nonce", "0",
                  "--value", str(7 * 10**17), "--max-fee-per-gas", str(4 * GWEI), "--max-priority-fee-per-gas", str(GWEI))
    assert signed.returncode == 0, signed.stdout + signed.stderr
    out = json.loads(signed.stdout)
    tx_hash = w3.eth.send_raw_transaction(out["raw"])
    assert tx_hash.hex().removeprefix("0x") == out["hash"].removeprefix("0x")
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1 and receipt["from"] == account.address
    assert w3.eth.get_balance(recipient) == 7 * 10**17


def transfer_command_exists() -> bool:
    result = mote("transfer", "--help", timeout=30)
    return result.returncode == 0 and "mote transfer" in result.stdout


def test_mote_transfer_with_an_eth_account_keystore(w3, devnet, account, tmp_path, password_file):
    if not transfer_command_exists():
        pytest.skip("`mote transfer` is not in this build yet (`mote transfer --help` shows no such command)")
    keyfile = tmp_path / "sender.json"
    keyfile.write_text(json.dumps(Account.encrypt(account.key, PASSWORD)))
    recipient = Account.create().address
    start_height = w3.eth.block_number
    before = w3.eth.get_balance(account.address)

    result = mote("transfer", "--to", recipient, "--value", "1.5", "--keystore", str(keyfile),
                  "--password-file", str(password_file), "--rpc", devnet.http_urls[0])
    assert result.returncode == 0, f"mote transfer failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"

    wait_until(lambda: w3.eth.get_balance(recipient) > 0, timeout=RECEIPT_TIMEOUT, what="the transfer to arrive")
    assert w3.eth.get_balance(recipient) == 3 * MOTE // 2  # exactly 1.5 MOTE
    # Its transaction: the hash printed, else found in the blocks since the command started.
    printed = set(re.findall(r"0x[0-9a-fA-F]{64}", result.stdout))
    tx_hash = None
    for number in range(start_height, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["to"] == recipient:
                tx_hash = tx["hash"]
    assert tx_hash is not None
    if printed:
        assert "0x" + tx_hash.hex().removeprefix("0x") in {h.lower() for h in printed}, result.stdout
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1
    assert receipt["from"] == account.address and receipt["to"] == recipient
    assert w3.eth.get_transaction(tx_hash)["value"] == 3 * MOTE // 2
    assert w3.eth.get_transaction_count(account.address) == 1
    assert w3.eth.get_balance(account.address) == before - 3 * MOTE // 2 - receipt["gasUsed"] * receipt["effectiveGasPrice"]


def test_mote_transfer_json_and_balance(w3, devnet, account, tmp_path, password_file):
    if not transfer_command_exists():
        pytest.skip("`mote transfer` is not in this build yet")
    keyfile = tmp_path / "sender.json"
    keyfile.write_text(json.dumps(Account.encrypt(account.key, PASSWORD, kdf="pbkdf2")))
    recipient = Account.create().address
    result = mote("transfer", "--to", recipient.lower(), "--value", "0.25", "--keystore", str(keyfile),
                  "--password-file", str(password_file), "--rpc", devnet.http_urls[1], "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    receipt = w3.eth.wait_for_transaction_receipt(out["hash"], timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    assert receipt["status"] == 1
    assert out["status"] == "success"
    assert out["from"] == account.address and out["to"] == recipient
    assert out["value"] == str(MOTE // 4)
    assert out["chainId"] == CHAIN_ID and out["nonce"] == 0 and out["gasLimit"] == 21_000
    assert out["blockNumber"] == receipt["blockNumber"]
    assert out["gasUsed"] == "21000"
    assert out["feePaid"] == str(receipt["gasUsed"] * receipt["effectiveGasPrice"])
    assert int(out["maxPriorityFeePerGas"]) == w3.eth.get_transaction(out["hash"])["maxPriorityFeePerGas"]

    balance = mote("balance", recipient, "--rpc", devnet.http_urls[2], "--json")
    assert balance.returncode == 0, balance.stderr
    assert json.loads(balance.stdout)["wei"] == str(w3.eth.get_balance(recipient)) == str(MOTE // 4)


def test_mote_transfer_refused_by_the_node(devnet, tmp_path, password_file):
    if not transfer_command_exists():
        pytest.skip("`mote transfer` is not in this build yet")
    empty = Account.create()
    keyfile = tmp_path / "empty.json"
    keyfile.write_text(json.dumps(Account.encrypt(empty.key, PASSWORD, kdf="pbkdf2")))
    result = mote("transfer", "--to", Account.create().address, "--value", "1", "--keystore", str(keyfile),
                  "--password-file", str(password_file), "--rpc", devnet.http_urls[0])
    assert result.returncode == 1, result.stdout + result.stderr
    # Refused at eth_estimateGas ("insufficient funds for transfer", as go-ethereum words it)
    # or at eth_sendRawTransaction ("insufficient funds for gas * price + value").
    assert result.stderr.startswith("error: node refused: insufficient funds for "), result.stderr
    assert "(code -32000)" in result.stderr, result.stderr


def test_mote_block_and_receipt_print_the_nodes_objects(w3, devnet, account):
    """`mote block N --json` and `mote tx receipt HASH --json` print what the node answers."""
    if "mote block" not in mote("block", "--help", timeout=30).stdout:
        pytest.skip("`mote block` is not in this build yet")
    from mote_e2e import call, sign

    tx = sign(account, nonce=0, to=Account.create().address, value=9, type=2,
              maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)
    w3.eth.send_raw_transaction(tx.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx.hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
    url = devnet.http_urls[0]
    tx_hash = "0x" + tx.hash.hex().removeprefix("0x")

    block = mote("block", str(receipt["blockNumber"]), "--full", "--rpc", url, "--json")
    assert block.returncode == 0, block.stderr
    assert json.loads(block.stdout) == call(url, "eth_getBlockByNumber", hex(receipt["blockNumber"]), True)
    shown = mote("tx", "receipt", tx_hash, "--rpc", url, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == call(url, "eth_getTransactionReceipt", tx_hash)
