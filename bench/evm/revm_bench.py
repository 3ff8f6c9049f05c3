#!/usr/bin/env python3
"""Times the bench/evm contracts in revm (through pyrevm): the revm half of `mote bench evm`.

    revm_bench.py MANIFEST --repeat N [--only NAME]

For each manifest entry: deploy the creation bytecode once in an in-memory Cancun EVM from a
funded caller (the same caller and nonce as MoteEVM's CodeRunner, so the contract lands at the
same address), then run the benchmark call once untimed and N times timed. Every run starts
from the same post-deployment state (a journal snapshot taken before the call, reverted after
it), so no run sees the storage writes of another: the gas used must be the same every time,
and the script fails if it is not.

pyrevm never finalizes its journal between transactions: after `deploy`, the contract's slots
would stay warm and keep 0 as their "original value" in every later call, so SSTOREs and SLOADs
would be priced as in the deploying transaction (cheaper than in a new one). So the deployment
runs in a scratch EVM (traced, to learn which slots the constructor wrote), and the measured
EVM gets the resulting account, code and storage written straight into its database: each call
then starts cold, as a new transaction does. Constructors may write only their own storage.

Prints one JSON line per contract: name, gasUsed (the transaction's gas used, intrinsic gas
included, after refunds), minMs, medianMs (the upper median, as `mote bench evm` computes it),
output (0x-hex of the return data) and success.
"""
import argparse
import contextlib
import io
import json
import os
import re
import sys
import time

from pyrevm import EVM, AccountInfo, BlockEnv, Env

# The same funded sender as MoteEVM's CodeRunner.
CALLER = "0x1000000000000000000000000000000000000001"
BLOCK_GAS_LIMIT = 1_000_000_000
CALL_GAS = 1_000_000_000
DEPLOY_GAS = 100_000_000


def read_hex(text):
    text = text.strip()
    if text.startswith(("0x", "0X")):
        text = text[2:]
    return bytes.fromhex(text)


CALLER_BALANCE = 2**64 - 1
SSTORE = 0x55


def new_evm(tracing=False):
    return EVM(
        env=Env(block=BlockEnv(gas_limit=BLOCK_GAS_LIMIT, basefee=0)),
        spec_id="CANCUN",
        gas_limit=BLOCK_GAS_LIMIT,
        tracing=tracing,
    )


def deployed(name, code):
    """Deploys `code` in a scratch EVM; returns (address, runtime code, {slot: value})."""
    scratch = new_evm(tracing=True)
    scratch.set_balance(CALLER, CALLER_BALANCE)
    trace = io.StringIO()
    with contextlib.redirect_stdout(trace):  # pyrevm's EIP-3155 trace goes to sys.stdout
        try:
            address = scratch.deploy(CALLER, code, gas=DEPLOY_GAS)
        except RuntimeError as error:
            raise SystemExit(f"{name}: deployment failed in revm: {error}")
    slots = set()
    for line in trace.getvalue().splitlines():
        step = json.loads(line)
        if step.get("op") == SSTORE:
            if step["depth"] != 1:
                raise SystemExit(f"{name}: the constructor writes storage of another contract")
            slots.add(int(step["stack"][-1], 16))
    storage = {slot: scratch.storage(address, slot) for slot in sorted(slots)}
    return address, scratch.get_code(address) or b"", storage


def evm_with(address, runtime, storage):
    """A fresh EVM whose database holds the funded caller and the deployed contract, all cold."""
    evm = new_evm()
    # The caller's nonce is 1 after the deployment, as in MoteEVM.
    evm.insert_account_info(CALLER, AccountInfo(balance=CALLER_BALANCE, nonce=1))
    evm.insert_account_info(address, AccountInfo(nonce=1, code=runtime))
    for slot, value in storage.items():
        # insert_account_storage also loads the account into the journal (warm, and every later
        # slot would go through the journal with original value 0); reverting a snapshot taken
        # just before unloads it again, and the value stays in the database.
        checkpoint = evm.snapshot()
        evm.insert_account_storage(address, slot, value)
        evm.revert(checkpoint)
    if address.lower() in {key.lower() for key in evm.journal_state}:
        raise SystemExit(f"{address}: the contract is still in the journal")
    return evm


def call_once(evm, address, calldata):
    """Runs the call from a snapshot and reverts it; returns (seconds, gasUsed, output, success)."""
    checkpoint = evm.snapshot()
    start = time.perf_counter()
    try:
        output = evm.message_call(CALLER, address, calldata, gas=CALL_GAS)
        success = True
    except RuntimeError as error:
        # pyrevm raises on revert and halt: "Revert { gas_used: N, output: 0x… }".
        elapsed = time.perf_counter() - start
        match = re.search(r"output: 0x([0-9a-fA-F]*)", str(error))
        output = bytes.fromhex(match.group(1)) if match else b""
        success = False
    else:
        elapsed = time.perf_counter() - start
    result = evm.result
    gas_used = result.gas_used if result is not None else 0
    evm.revert(checkpoint)
    return elapsed, gas_used, output, success


def bench(entry, folder, repeat):
    with open(os.path.join(folder, entry["bytecode"])) as file:
        code = read_hex(file.read())
    calldata = read_hex(entry["calldata"])
    address, runtime, storage = deployed(entry["name"], code)
    evm = evm_with(address, runtime, storage)
    call_once(evm, address, calldata)  # warm-up, untimed
    times, gases, outputs, successes = [], set(), set(), set()
    for _ in range(repeat):
        elapsed, gas_used, output, success = call_once(evm, address, calldata)
        times.append(elapsed * 1000)
        gases.add(gas_used)
        outputs.add(output)
        successes.add(success)
    if len(gases) != 1 or len(outputs) != 1 or len(successes) != 1:
        raise SystemExit(f"{entry['name']}: runs differ (gas {sorted(gases)}): the state was not restored between runs")
    times.sort()
    return {
        "name": entry["name"],
        "gasUsed": int(gases.pop()),
        "minMs": times[0],
        "medianMs": times[len(times) // 2],
        "output": "0x" + outputs.pop().hex(),
        "success": successes.pop(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--only")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with open(args.manifest) as file:
        entries = json.load(file)
    folder = os.path.dirname(os.path.abspath(args.manifest))
    ran = 0
    for entry in entries:
        if args.only is not None and entry["name"] != args.only:
            continue
        print(json.dumps(bench(entry, folder, args.repeat)), flush=True)
        ran += 1
    if ran == 0:
        raise SystemExit("no contracts to run")


if __name__ == "__main__":
    main()
