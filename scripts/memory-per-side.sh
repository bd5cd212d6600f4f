#!/usr/bin/env bash
# Peak memory of each side of a migration beyond guest RAM: source and target run as separate processes on
# loopback. Two measures per side: the JVM's native memory tracking at exit (peak committed Java heap and peak
# direct memory, NMT's "Other"), and every 20 ms the process's RssAnon from /proc (heap, direct buffers, JIT code,
# metaspace, thread stacks: all anonymous memory). Guest RAM is a shared tmpfs mapping (RssShmem) and is in neither.
# Usage: scripts/memory-per-side.sh [RAM ...]   (default: 1G 4G); SOURCE_OPTIONS="--max-in-flight 64M" adds
# options to the source.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
java_home="$("$root/bin/find-jdk")"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(1G 4G)
work="$(mktemp -d)"; trap 'rm -rf "$work"; kill $(jobs -p) 2>/dev/null || true' EXIT
nmt="-XX:NativeMemoryTracking=summary -XX:+UnlockDiagnosticVMOptions -XX:+PrintNMTStatistics"
rss_anon() { awk '/^RssAnon/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
for ram in "${sizes[@]}"; do
  port=$(( 7900 + RANDOM % 50 ))
  MTE_MIGRATE_JAVA_OPTS="$nmt" "$root/mte-migrate" target --listen 127.0.0.1:$port --once --run-for 1s --quiet \
    > "$work/t.nmt" 2>&1 &
  target=$!
  sleep 3
  MTE_MIGRATE_JAVA_OPTS="$nmt" "$root/mte-migrate" source --connect 127.0.0.1:$port --ram "$ram" --workload alloc \
    ${SOURCE_OPTIONS:-} --quiet --json "$work/s.json" > "$work/s.nmt" 2>&1 &
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
  wait "$source" || true
  wait "$target" || true
  python3 - "$ram" "$tmax" "$smax" "$t0" "$s0" "$work/s.json" "$work/s.nmt" "$work/t.nmt" <<'PY'
import json, os, re, sys
ram, tmax, smax, t0, s0 = sys.argv[1], *map(int, sys.argv[2:6])
if not os.path.exists(sys.argv[6]):
    sys.exit(f"the source wrote no report; its output:\n{open(sys.argv[7]).read()}")
report = json.load(open(sys.argv[6]))

def peak(text, category):
    """Peak committed bytes of an NMT category: 'at peak' means the current figure is the peak."""
    block = re.search(r"-\s+" + category + r" \(reserved=\d+, committed=(\d+)\)\n(.*?)\n-", text, re.S)
    if not block:
        sys.exit(f"no '{category}' in the native memory summary")
    explicit = re.search(r"peak=(\d+)", block.group(2))
    if explicit:
        return int(explicit.group(1))
    if "at peak" in block.group(2):
        return int(block.group(1))
    sys.exit(f"the native memory summary gives no peak for '{category}' (JDK 25 does)")

def side(path):
    text = open(path).read()
    heap, direct = peak(text, "Java Heap"), peak(text, "Other")
    return f"heap {heap >> 20} + direct {direct >> 20} = {(heap + direct) >> 20} MiB"

print(f"{ram:>4} guest: {report['status']} in {report['totalTimeMs']} ms")
print(f"      peak committed heap + direct memory: source {side(sys.argv[7])}, target {side(sys.argv[8])}")
print(f"      peak RssAnon: source {smax / 1024:.0f} MiB ({s0 / 1024:.0f} before the migration), "
      f"target {tmax / 1024:.0f} MiB ({t0 / 1024:.0f} before)")
PY
done
