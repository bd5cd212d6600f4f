#!/usr/bin/env bash
# Peak memory of each side of a migration beyond guest RAM: source and target run as separate processes on
# loopback, and every 20 ms this samples their RssAnon (heap, direct buffers, JIT code, metaspace, thread stacks:
# all anonymous memory), from /proc. Guest RAM is a shared tmpfs mapping (RssShmem) and is not counted.
# Usage: scripts/memory-per-side.sh [RAM ...]   (default: 1G 4G); SOURCE_OPTIONS="--max-in-flight 16M" adds
# options to the source.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
java_home="$("$root/bin/find-jdk")"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(1G 4G)
work="$(mktemp -d)"; trap 'rm -rf "$work"; kill $(jobs -p) 2>/dev/null || true' EXIT
rss_anon() { awk '/^RssAnon/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
for ram in "${sizes[@]}"; do
  port=$(( 7900 + RANDOM % 50 ))
  "$root/mte-migrate" target --listen 127.0.0.1:$port --once --run-for 1s --quiet > /dev/null 2>&1 &
  target=$!
  sleep 3
  "$root/mte-migrate" source --connect 127.0.0.1:$port --ram "$ram" --workload alloc ${SOURCE_OPTIONS:-} --quiet --json "$work/s.json" > /dev/null 2>&1 &
  source=$!
  sleep 0.5
  # The launcher execs java, so these are the JVMs themselves.
  tpid=$target; spid=$source
  t0=$(rss_anon "$tpid"); s0=$(rss_anon "$spid"); tmax=$t0; smax=$s0
  while kill -0 "$source" 2>/dev/null; do
    t=$(rss_anon "$tpid"); s=$(rss_anon "$spid")
    t=${t:-0}; s=${s:-0}
    [ "$t" -gt "$tmax" ] && tmax=$t; [ "$s" -gt "$smax" ] && smax=$s
    sleep 0.02
  done
  wait "$target" || true
  python3 - "$ram" "$tmax" "$smax" "$t0" "$s0" "$work/s.json" <<'PY'
import json, sys
ram, tmax, smax, t0, s0 = sys.argv[1], *map(int, sys.argv[2:6])
report = json.load(open(sys.argv[6]))
print(f"{ram:>4} guest: {report['status']} in {report['totalTimeMs']} ms; peak RssAnon (beyond guest RAM): "
      f"source {smax / 1024:.0f} MiB ({s0 / 1024:.0f} before the migration), "
      f"target {tmax / 1024:.0f} MiB ({t0 / 1024:.0f} before)")
PY
done
