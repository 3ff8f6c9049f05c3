#!/bin/sh
# Builds the applets into applets/*.wasm, reproducibly: fixed flags, relative paths, no debug
# info, no name or producers sections. Usage: applets/build.sh [output-dir] (default: applets/).
# CLANG may name another clang with the wasm32 target and wasm-ld (default: the Swift toolchain's).
set -eu
cd "$(dirname "$0")"
CLANG="${CLANG:-/opt/swift/usr/bin/clang}"
OUT="${1:-.}"
mkdir -p "$OUT"
build() {
    name="$1"; source="$2"
    "$CLANG" --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -Iinclude \
        -Wall -Wextra -Werror \
        -Wl,--no-entry -Wl,--strip-all -Wl,--initial-memory=131072 -Wl,-z,stack-size=65536 \
        -o "$OUT/$name.wasm" "$source"
}
build step-goal step-goal/step_goal.c
build temperature-excursion temperature-excursion/temperature_excursion.c
