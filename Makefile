# Mote: the two commands in the README are `make run` and `make test`.
# Both install what is missing on a fresh Debian machine first.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := libsecp256k1-dev libsodium-dev liblmdb-dev libsqlite3-dev pkg-config mosquitto postgresql

.PHONY: run devnet test e2e deps build release bench clean

## Installs the C libraries Mote links against (SQLite for the telemetry store), the mosquitto
## broker (MQTT tests, `mote bench ingest`, `mote devnet --stream`) and the PostgreSQL server the
## store's tests start, if any is missing.
deps:
	@if ! pkg-config --exists libsecp256k1 libsodium lmdb sqlite3 2>/dev/null || [ ! -f /usr/include/secp256k1_recovery.h ] \
		|| [ ! -f /usr/include/sqlite3.h ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| ! PATH="$$PATH:/usr/sbin" command -v mosquitto >/dev/null; then \
		echo "installing $(DEBIAN_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

build: deps
	$(SWIFT) build --product mote

release: deps
	$(SWIFT) build -c release --product mote

## Mote's main job: a local devnet of 4 delegate nodes (Ctrl-C stops it). Files in ./devnet.
run: release
	$$($(SWIFT) build -c release --show-bin-path)/mote devnet --datadir devnet --stream

devnet: run

## All tests: unit, conformance (../shared/vectors) and CLI tests against the built binary,
## then the end-to-end suite (e2e).
## The CPU-heavy suites (seeded simulations, sweeps, fuzzing) and the timing-sensitive p2p
## suites (pings, floods, partitions; the in-process node network; connection limits and idle timeouts) run in phases of their own, so that on a 2-core
## machine neither starves the deadlines of the other tests.
HEAVY_TESTS := ConsensusSimulationTests|VoteWALTests|RPCExtremeValueTests|DecoderFuzzTests|TelemetryStoreCrashTests|StateTestSuiteTests
P2P_TESTS := MoteP2PTests|InProcessNetworkTests|StreamConnectionLimitTests|RPCClientLimitTests

test: deps
	$(SWIFT) build --build-tests
	MOTE_BINARY=$$($(SWIFT) build --show-bin-path)/mote $(SWIFT) test --skip-build --skip "$(HEAVY_TESTS)|$(P2P_TESTS)"
	MOTE_BINARY=$$($(SWIFT) build --show-bin-path)/mote $(SWIFT) test --skip-build --filter "$(HEAVY_TESTS)"
	MOTE_BINARY=$$($(SWIFT) build --show-bin-path)/mote $(SWIFT) test --skip-build --filter "$(P2P_TESTS)"
	$(MAKE) e2e

## End-to-end: a real devnet driven by web3.py and eth-account (tests/e2e), in a venv.
## Builds nothing: runs $(MOTE_BINARY), by default the debug build's `mote`.
PYTHON3 ?= python3
E2E_VENV := .venv-e2e
E2E_STAMP := $(E2E_VENV)/.requirements-installed
E2E_REQUIREMENTS := tests/e2e/requirements.txt tests/e2e/constraints.txt

$(E2E_STAMP): $(E2E_REQUIREMENTS)
	@if [ ! -x $(E2E_VENV)/bin/pip ]; then \
		rm -rf $(E2E_VENV); \
		if ! $(PYTHON3) -m venv $(E2E_VENV) >/dev/null 2>&1; then \
			echo "installing python3-venv"; rm -rf $(E2E_VENV); \
			$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 python3-venv; \
			$(PYTHON3) -m venv $(E2E_VENV) || { rm -rf $(E2E_VENV); /usr/bin/python3 -m venv $(E2E_VENV); }; \
		fi; \
	fi
	$(E2E_VENV)/bin/pip install -q -r tests/e2e/requirements.txt
	touch $@

e2e: $(E2E_STAMP)
	MOTE_BINARY="$${MOTE_BINARY:-$$($(SWIFT) build --show-bin-path)/mote}" $(E2E_VENV)/bin/python -m pytest tests/e2e -q

bench: release
	$$($(SWIFT) build -c release --show-bin-path)/mote bench crypto
	$$($(SWIFT) build -c release --show-bin-path)/mote bench ledger
	$$($(SWIFT) build -c release --show-bin-path)/mote bench store

clean:
	rm -rf .build
