# Sourced by bench/discovery.sh and bench/concurrency.sh: the setting both measure in. A network namespace
# of its own with only loopback up (no route out: no packet can leave it), SYNs to ${BASE}.8-255 dropped
# by nftables so those hosts look filtered as absent hosts do on a real network, and `kubeferret lab` (a
# control plane and four nodes, simulated etcd) on ${BASE}.2-6. Sets NS and WORK; removes both on exit.
# Usage: BASE=127.1.0; source bench/filtered-lab.sh NAME-PREFIX COMMAND...   (the commands it needs)

NS="$1-$$"
shift
WORK="$(mktemp -d)"
LAB_PID=""
cleanup() {
  [ -n "$LAB_PID" ] && kill "$LAB_PID" 2>/dev/null || true
  [ -n "$LAB_PID" ] && wait "$LAB_PID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
for cmd in ip nft node "$@"; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is needed" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench: run as root (network namespaces)" >&2; exit 2; }

in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS"
in_ns ip link set lo up
in_ns nft -f - <<NFT
table inet kfbench {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr ${BASE}.8-${BASE}.255 tcp flags & (syn | ack) == syn drop
  }
}
NFT

# Started with `ip netns exec` itself, not through in_ns: a backgrounded shell function is a subshell, and
# $! would name that subshell, so the cleanup's kill would leave the lab running (deleting the namespace
# does not end the processes in it).
ip netns exec "$NS" node bin/kubeferret.js lab --base "${BASE}.2" --nodes 4 --etcd simulated >"$WORK/lab.log" 2>&1 &
LAB_PID=$!
for _ in $(seq 1 150); do grep -q 'kubeferret lab:' "$WORK/lab.log" 2>/dev/null && break; sleep 0.2; done
grep -q 'kubeferret lab:' "$WORK/lab.log" || { echo "bench: the lab did not start:" >&2; cat "$WORK/lab.log" >&2; exit 1; }
