"""Fixtures: one 4-node devnet for the whole session (and a 1-node one for the rate limit),
web3.py over HTTP, and prefunded eth-account accounts handed out so that no two tests share
a sender."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from mote_e2e import Devnet

# Devnet log tails to print at the end of a session that had failures.
_LOG_TAILS: list[tuple[str, str]] = []


def _start(request, name: str, configure=None, **kwargs) -> Devnet:
    root = Path(tempfile.mkdtemp(prefix=f"mote-e2e-{name}-"))
    devnet = Devnet(datadir=root / "devnet", **kwargs)
    try:
        if configure is not None:
            devnet.setup_only()
            configure(devnet)
        devnet.start()
    except BaseException:
        devnet.stop()
        _LOG_TAILS.append((f"{name} devnet (start-up failed; files kept in {root})", devnet.log_tail()))
        raise
    return devnet


def _finish(request, name: str, devnet: Devnet) -> None:
    status = devnet.stop()
    failed = request.session.testsfailed > 0
    root = devnet.datadir.parent
    if failed:
        _LOG_TAILS.append((f"{name} devnet (exit status {status}; files kept in {root})", devnet.log_tail()))
    else:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def devnet(request):
    """The shared devnet: 4 delegate nodes, 500 ms blocks, 128 prefunded accounts."""
    net = _start(request, "main", nodes=4, block_time_ms=500, accounts=128)
    try:
        yield net
    finally:
        _finish(request, "main", net)


@pytest.fixture(scope="module")
def limited_devnet(request):
    """A 1-node devnet whose node allows 20 requests a second per IP and scans at most 5
    blocks per eth_getLogs (set in its config.toml between --setup-only and the start)."""

    def configure(net: Devnet) -> None:
        path = net.config_path(0)
        text = path.read_text()
        for key, value in [("requests_per_second", "20"), ("max_log_range", "5")]:
            lines = [line for line in text.splitlines() if line.startswith(f"{key} =")]
            assert len(lines) == 1, f"{key} not found once in {path}:\n{text}"
            text = text.replace(lines[0], f"{key} = {value}")
        path.write_text(text)

    net = _start(request, "limited", configure=configure, nodes=1, block_time_ms=500, accounts=2)
    try:
        yield net
    finally:
        _finish(request, "limited", net)


@pytest.fixture(scope="session")
def _account_pool(devnet):
    return iter(devnet.read_accounts())


@pytest.fixture
def accounts(_account_pool):
    """`accounts(n)`: n prefunded accounts (eth-account LocalAccount) no other test uses."""

    def take(n: int = 1):
        out = []
        for _ in range(n):
            entry = next(_account_pool, None)
            assert entry is not None, "the devnet's prefunded accounts are used up: raise Devnet(accounts=…)"
            account = Account.from_key(entry["privateKey"])
            assert account.address == entry["address"], entry
            out.append(account)
        return out

    return take


@pytest.fixture
def account(accounts):
    """One prefunded account of this test's own."""
    return accounts(1)[0]


@pytest.fixture(scope="session")
def w3(devnet) -> Web3:
    """web3.py over HTTP to node 0."""
    web3 = Web3(Web3.HTTPProvider(devnet.http_urls[0], request_kwargs={"timeout": 30}))
    assert web3.is_connected()
    return web3


@pytest.fixture(scope="session")
def w3_nodes(devnet) -> list[Web3]:
    """web3.py over HTTP to every node."""
    return [Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})) for url in devnet.http_urls]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for title, tail in _LOG_TAILS:
        terminalreporter.section(f"log tail: {title}")
        terminalreporter.write_line(tail)
