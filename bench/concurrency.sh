#!/usr/bin/env bash
# Scan concurrency: is a higher default --concurrency sound? In a network namespace of its own (only
# loopback; SYNs to 127.1.0.8-255 dropped so those hosts look filtered; the lab on 127.1.0.2-6), runs
# `kubeferret discover --quick` over the /24 (8 ports, 2,048 probes) at several --concurrency values, and
# once at 2048 with the open-file limit cut to 1024 (the scan must back off on EMFILE, not lose ports),
# then the /16 x 19 ports at 1000 and 2048 for time and peak memory. Prints wall, CPU, peak RSS and whether
# the open ports match the 1000 run's. Needs root, ip, nft, prlimit, /usr/bin/time.
# Run: npm run build && sudo bash bench/concurrency.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HARD="$(ulimit -Hn)"   # the open-file limit the runs get, but for the one run that cuts it
BASE=127.1.0
# shellcheck source=bench/filtered-lab.sh
source bench/filtered-lab.sh kfconc prlimit /usr/bin/time

# run LABEL NOFILE ARGS...: one discover, its figures on one line.
run() {
  local label="$1" nofile="$2"
  shift 2
  ip netns exec "$NS" prlimit --nofile="$nofile" /usr/bin/time -v node bin/kubeferret.js discover "$@" \
    --format json --quiet >"$WORK/$label.json" 2>"$WORK/$label.time" || tail -3 "$WORK/$label.time" >&2
  node -e '
    const fs = require("fs");
    const [json, time, label, ref] = process.argv.slice(1);
    const t = fs.readFileSync(time, "utf8");
    const get = (re) => Number(re.exec(t)?.[1] ?? NaN);
    const wall = t.match(/Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)/);
    const secs = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
    let open = [];
    try { open = JSON.parse(fs.readFileSync(json, "utf8")).map((s) => `${s.host}:${s.port}`).sort(); } catch {}
    let same = "";
    if (ref && fs.existsSync(ref)) {
      const r = JSON.parse(fs.readFileSync(ref, "utf8")).map((s) => `${s.host}:${s.port}`).sort();
      same = JSON.stringify(r) === JSON.stringify(open) ? "identical to the 1000 run" : "DIFFERENT from the 1000 run";
    }
    const cpu = get(/User time \(seconds\): ([\d.]+)/) + get(/System time \(seconds\): ([\d.]+)/);
    console.log(`${label.padEnd(22)} wall ${secs.toFixed(1)} s  cpu ${cpu.toFixed(2)} s  peak ${Math.round(get(/Maximum resident set size \(kbytes\): (\d+)/) / 1024)} MB  open ${open.length} ${same}`);
  ' "$WORK/$label.json" "$WORK/$label.time" "$label" "${REF:-}"
}

echo "/24 x 8 ports (--quick), 5 lab hosts, 248 filtered:"
REF="" run c1000 "$HARD" "${BASE}.0/24" --quick --concurrency 1000
REF="$WORK/c1000.json"
run c2048 "$HARD" "${BASE}.0/24" --quick --concurrency 2048
run c4096 "$HARD" "${BASE}.0/24" --quick --concurrency 4096
run c2048-nofile1024 1024 "${BASE}.0/24" --quick --concurrency 2048
run c1000-again "$HARD" "${BASE}.0/24" --quick --concurrency 1000
if [ "${SIXTEEN:-1}" = 1 ]; then
  echo "/16 x 19 ports (the default set):"
  REF="" run s1000 "$HARD" "${BASE%.*}.0.0/16" --concurrency 1000
  REF="$WORK/s1000.json"
  run s2048 "$HARD" "${BASE%.*}.0.0/16" --concurrency 2048
fi
