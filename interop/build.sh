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
build kv github.com/hashicorp/go-plugin/examples/grpc
build kv-go-grpc github.com/hashicorp/go-plugin/examples/grpc/plugin-go-grpc
build counter github.com/hashicorp/go-plugin/examples/bidirectional
build counter-go-grpc github.com/hashicorp/go-plugin/examples/bidirectional/plugin-go-grpc
