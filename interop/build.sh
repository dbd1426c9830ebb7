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
build h2probe ./cmd/h2probe

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
loop_build otlp-collector ./cmd/otlpcollector

# loop-peer (interop/loop/_peer): chainlink-common's internal ContractWriter,
# ContractReader and Codec adapters can only be imported from inside that
# module, so the program is built inside a copy of the pinned module (from the
# Go module cache, filled from the Go module proxy), with the module's own
# go.mod and go.sum, except that go-plugin is raised to the version the rest of
# interop/ pins (chainlink-common v0.11.1 alone asks for v1.7.0).
cc_dir="$(cd "$here/loop" && go mod download -json github.com/smartcontractkit/chainlink-common | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
cc_copy="$here/.bin/.chainlink-common"
echo "building .bin/loop-peer (./_peer inside a copy of $cc_dir)"
# The module cache is read-only; a copy left by a failed build is made writable before removal.
if [ -d "$cc_copy" ]; then chmod -R u+w "$cc_copy"; fi
rm -rf "$cc_copy"
cp -R "$cc_dir" "$cc_copy"
chmod -R u+w "$cc_copy"
mkdir -p "$cc_copy/pkg/loop/internal/interoppeer"
cp "$here"/loop/_peer/*.go "$cc_copy/pkg/loop/internal/interoppeer/"
cat "$here/loop/go.sum" >> "$cc_copy/go.sum"
(cd "$cc_copy" && go mod edit -require=github.com/hashicorp/go-plugin@v1.8.0 && GOFLAGS=-mod=mod go build -trimpath -o "$here/.bin/loop-peer" ./pkg/loop/internal/interoppeer)
rm -rf "$cc_copy"
