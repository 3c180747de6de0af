#!/usr/bin/env bash
# CPU per connect probe (bench/probe-cpu.ts) in a network namespace of its own: only loopback, SYNs to
# 127.2.0.0/16 dropped so those probes time out as filtered ones do. Needs root, ip and nft.
set -euo pipefail
cd "$(dirname "$0")/.."
NS="kfprobe-$$"
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT INT TERM
[ "$(id -u)" = 0 ] || { echo "bench: run as root (network namespaces)" >&2; exit 2; }
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" nft -f - <<NFT
table inet kfprobe {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 127.2.0.0/16 tcp flags & (syn | ack) == syn drop
  }
}
NFT
ip netns exec "$NS" node --import tsx bench/probe-cpu.ts "$@"
