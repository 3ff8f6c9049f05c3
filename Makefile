# Mote: the two commands in the README are `make run` and `make test`.
# Both install what is missing on a fresh Debian machine first.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := libsecp256k1-dev libsodium-dev liblmdb-dev pkg-config

.PHONY: run devnet test deps build release bench clean

## Installs the C libraries Mote links against, if any is missing.
deps:
	@if ! pkg-config --exists libsecp256k1 libsodium lmdb 2>/dev/null || [ ! -f /usr/include/secp256k1_recovery.h ]; then \
		echo "installing $(DEBIAN_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

build: deps
	$(SWIFT) build --product mote

release: deps
	$(SWIFT) build -c release --product mote

## Mote's main job: a local devnet of 4 delegate nodes (Ctrl-C stops it). Files in ./devnet.
run: release
	$$($(SWIFT) build -c release --show-bin-path)/mote devnet --datadir devnet

devnet: run

## All tests: unit, conformance (../shared/vectors) and CLI tests against the built binary.
test: deps
	$(SWIFT) build --build-tests
	MOTE_BINARY=$$($(SWIFT) build --show-bin-path)/mote $(SWIFT) test --skip-build

bench: release
	$$($(SWIFT) build -c release --show-bin-path)/mote bench crypto
	$$($(SWIFT) build -c release --show-bin-path)/mote bench ledger

clean:
	rm -rf .build
