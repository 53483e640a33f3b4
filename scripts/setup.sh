#!/usr/bin/env bash
# Installs everything vs needs to build and test, from Debian 12 packages.
# Idempotent: installs only what is missing. Pass --bench to also install the
# benchmark peers (hnswlib, Fashion-MNIST).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libsimdjson-dev libzstd-dev zstd libtbb-dev
  libcurl4-openssl-dev libxxhash-dev libmicrohttpd-dev curl wrk
  libgtest-dev libgmock-dev libbenchmark-dev
  bats bats-support bats-assert jq zlib1g-dev
  clang libclang-rt-14-dev time
  openssh-server openssh-client
  dataset-fashion-mnist
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(libhnswlib-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
