#!/usr/bin/env bash
# Builds the interop binaries into interop/.bin/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
mkdir -p .bin

build() {
  local out="$1" pkg="$2"
  echo "building .bin/$out ($pkg)"
  go build -trimpath -o ".bin/$out" "$pkg"
}

build goplugin-test ./cmd/testplugin
build goplugin-host ./cmd/testhost
build yamux-peer ./cmd/yamuxpeer
build kv github.com/hashicorp/go-plugin/examples/grpc
build kv-go-grpc github.com/hashicorp/go-plugin/examples/grpc/plugin-go-grpc
build counter github.com/hashicorp/go-plugin/examples/bidirectional
build counter-go-grpc github.com/hashicorp/go-plugin/examples/bidirectional/plugin-go-grpc
build rpcsemantics ./cmd/rpcsemantics

# LOOP (Chainlink) binaries, from the separate interop/loop module, which pins
# chainlink-common v0.11.1. The test plugin is chainlink-common's own internal
# test command: Go's internal rule applies to imports, not to packages named
# on the command line.
loop_build() {
  local out="$1" pkg="$2"
  echo "building .bin/$out ($pkg)"
  (cd "$here/loop" && go build -trimpath -o "../.bin/$out" "$pkg")
}

loop_build loop-test-plugin github.com/smartcontractkit/chainlink-common/pkg/loop/internal/test/cmd
loop_build loop-descriptors ./cmd/descriptors
loop_build loop-vectors ./cmd/vectors
loop_build loop-env ./cmd/env
loop_build loop-host ./cmd/host
