#!/usr/bin/env bash
# Discovery benchmark: kubeferret against nmap -sT, in a network namespace of its own.
#
# On plain loopback every address answers at once, which measures nothing. So this script makes a network
# namespace with only its loopback up (no route out: no packet can leave it), drops SYNs to most of a /24
# with nftables so those hosts look filtered, as absent hosts do on a real network, and starts the lab
# (`kubeferret lab`, vulnerable profile, a control plane and four nodes) on a few addresses. Then, in the
# same run:
#   1. kubeferret discover and nmap -sT -n -Pn -T4 --open over the /24 with the same ports: wall times,
#      their ratio, and whether both found the same open ports;
#   2. kubeferret alone over a /16 for its peak memory.
# Goals: identical open ports, wall time at most 1.2x nmap's, peak memory under 150 MB on the /16.
# Needs root, ip (iproute2), nft (nftables), nmap and /usr/bin/time. Removes the namespace on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=127.1.0            # the /24; the lab on .2-.6, .8-.255 filtered
SIXTEEN=127.1.0.0/16
# shellcheck source=bench/filtered-lab.sh
source bench/filtered-lab.sh kfbench nmap /usr/bin/time

PORTS="$(node --import tsx -e "import('./src/core/config.ts').then((m) => console.log(m.DEFAULT_PORTS.join(',')))")"

now() { date +%s.%N; }
echo "ports: $PORTS"
echo "range: ${BASE}.0/24 (the lab on 5 hosts, 248 filtered)"

t0=$(now)
in_ns node bin/kubeferret.js discover "${BASE}.0/24" --format json --quiet >"$WORK/kf.json"
t1=$(now)
in_ns nmap -sT -n -Pn -T4 --open -p "$PORTS" "${BASE}.0/24" -oG "$WORK/nmap.gnmap" >/dev/null
t2=$(now)

node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(s.map((x) => `${x.host}:${x.port}`).sort().join("\n"));
' "$WORK/kf.json" >"$WORK/kf.open"
grep -o 'Host: [0-9.]* ().*Ports: .*' "$WORK/nmap.gnmap" | while read -r _ host _ _ ports; do
  echo "$ports" | tr ',' '\n' | grep -o '[0-9]*/open' | cut -d/ -f1 | sed "s/^/$host:/"
done | sort >"$WORK/nmap.open"

calc() { awk "BEGIN { print $1 }"; }
kf_wall=$(calc "$t1 - $t0")
nmap_wall=$(calc "$t2 - $t1")
printf 'kubeferret /24: %.1f s  (%s open ports, fingerprinted)\n' "$kf_wall" "$(wc -l <"$WORK/kf.open")"
printf 'nmap       /24: %.1f s  (%s open ports)\n' "$nmap_wall" "$(wc -l <"$WORK/nmap.open")"
printf 'ratio kubeferret/nmap: %.2f (goal <= 1.20)\n' "$(calc "$kf_wall / $nmap_wall")"
if diff -u "$WORK/nmap.open" "$WORK/kf.open" >"$WORK/open.diff"; then
  echo "open ports identical: yes"
else
  echo "open ports identical: NO"
  cat "$WORK/open.diff"
fi

in_ns /usr/bin/time -v node bin/kubeferret.js discover "$SIXTEEN" --format json --quiet >"$WORK/kf16.json" 2>"$WORK/time16.txt"
rss_kb=$(grep 'Maximum resident set size' "$WORK/time16.txt" | awk '{print $NF}')
wall16=$(grep 'Elapsed (wall clock)' "$WORK/time16.txt" | awk '{print $NF}')
printf 'kubeferret /16: %s wall, peak memory %.0f MB (goal < 150 MB), %s services\n' \
  "$wall16" "$(calc "$rss_kb / 1024")" "$(grep -c '"kind"' "$WORK/kf16.json")"
