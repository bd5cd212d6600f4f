#!/usr/bin/env bash
# QEMU 7.2's migration next to ours, on this machine, in the same run, on loopback.
#
# QEMU: a paused source (-S) `qemu-system-aarch64 -M virt,mte=on -cpu max -accel tcg -m SIZE` whose RAM is
# filled with random bytes by a generic loader (RAM starts at 0x40000000 and QEMU puts the DTB in its first MiB, so
# the file is SIZE - 1 MiB loaded at 0x40100000), a destination started with -incoming defer -mem-prealloc, then over
# QMP: migrate-incoming, migrate, query-migrate until completed. Throughput = ram.transferred / total-time.
# The bandwidth cap is lifted first (max-bandwidth defaults to 32 MiB/s in QEMU 7.2).
#
# mte-migrate: `target --listen 127.0.0.1:PORT --once --prealloc SIZE` and `source --connect 127.0.0.1:PORT --ram SIZE
# --workload idle --fill random --json FILE`. Throughput = the report's throughputMBps (bytes on the wire per second
# of migration time), the same definition.
#
# Both in MB/s (10^6 bytes per second), and mte-migrate/QEMU; with --repeat, every run and the medians.
# Installs qemu-system-arm from Debian when qemu-system-aarch64 is missing (needs root).
set -euo pipefail

usage() {
  cat <<EOF
Usage: scripts/qemu-compare.sh [--size SIZE] [--repeat N]
  --size SIZE   guest RAM of both migrations, a whole number of MiB with suffix M or G (default: 1G)
  --repeat N    runs of each side, alternating (default: 1)
EOF
}

size=1G
repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --size) [ $# -ge 2 ] || { usage >&2; exit 2; }; size="$2"; shift 2 ;;
    --repeat) [ $# -ge 2 ] || { usage >&2; exit 2; }; repeat="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "qemu-compare: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ "$size" =~ ^([0-9]{1,6})([MG])$ ]]; then
  echo "qemu-compare: --size must be a whole number of MiB or GiB such as 512M or 1G, not '$size'" >&2; exit 2
fi
mib=$(( 10#${BASH_REMATCH[1]} ))
[ "${BASH_REMATCH[2]}" = G ] && mib=$(( mib * 1024 ))
if [ "$mib" -lt 64 ]; then
  echo "qemu-compare: --size must be at least 64M, not '$size'" >&2; exit 2
fi
if ! [[ "$repeat" =~ ^[0-9]+$ ]] || [ "$repeat" -lt 1 ]; then
  echo "qemu-compare: --repeat must be a whole number of at least 1, not '$repeat'" >&2; exit 2
fi
bytes=$(( mib << 20 ))

root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v qemu-system-aarch64 > /dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "qemu-compare: qemu-system-aarch64 is missing; install it as root: apt-get install -y qemu-system-arm" >&2
    exit 1
  fi
  echo "qemu-compare: installing qemu-system-arm from Debian..." >&2
  apt-get update -q > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-arm > /dev/null
fi
if ! command -v python3 > /dev/null; then
  echo "qemu-compare: python3 is needed to speak QMP" >&2; exit 1
fi

work="$(mktemp -d /tmp/qemu-compare.XXXXXX)"
pids=()
cleanup() {
  # Only the processes this script started, by id.
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill "$pid" 2> /dev/null || true
  done
  for pid in ${pids[@]+"${pids[@]}"}; do
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Drives both QEMUs over QMP; prints "transferred_bytes total_ms downtime_ms".
cat > "$work/qmp-migrate.py" <<'PY'
import json, socket, sys, time

src_path, dst_path, port, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

class Qmp:
    def __init__(self, path, name):
        self.name = name
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    sys.exit(f"qemu-compare: the {name} QEMU opened no QMP socket at {path} within 30 s")
                time.sleep(0.1)
        self.file = self.sock.makefile("rw")
        self.read()  # greeting
        self.run("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        if not line:
            sys.exit(f"qemu-compare: the {self.name} QEMU closed its QMP socket")
        return json.loads(line)

    def run(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            answer = self.read()
            if "event" in answer:
                continue
            if "error" in answer:
                sys.exit(f"qemu-compare: {self.name} QEMU refused {command}: {answer['error'].get('desc')}")
            return answer["return"]

src = Qmp(src_path, "source")
dst = Qmp(dst_path, "destination")
uri = f"tcp:127.0.0.1:{port}"
dst.run("migrate-incoming", uri=uri)
src.run("migrate-set-parameters", **{"max-bandwidth": 1 << 40})
src.run("migrate", uri=uri)
deadline = time.monotonic() + timeout
while True:
    info = src.run("query-migrate")
    status = info.get("status")
    if status == "completed":
        break
    if status in ("failed", "cancelled"):
        sys.exit(f"qemu-compare: QEMU's migration {status}: {info.get('error-desc', 'no reason given')}")
    if time.monotonic() > deadline:
        sys.exit(f"qemu-compare: QEMU's migration was still {status} after {timeout:.0f} s")
    time.sleep(0.05)
print(info["ram"]["transferred"], info["total-time"], info.get("downtime", 0))
for side in (src, dst):
    try:
        side.run("quit")
    except SystemExit:
        pass
PY

echo "qemu-compare: $((mib)) MiB guests, $repeat run(s) each; $(qemu-system-aarch64 --version | head -1);" \
  "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "qemu-compare: writing $((mib - 1)) MiB of random bytes for QEMU's loader..." >&2
head -c $(( bytes - (1 << 20) )) /dev/urandom > "$work/rand"
timeout=$(( 120 + mib / 10 ))

qemu_run() {
  local port; port=$(free_port)
  local common=(-M virt,mte=on -cpu max -accel tcg -m "${mib}M" -S -nographic -nodefaults)
  qemu-system-aarch64 "${common[@]}" -qmp "unix:$work/src.qmp,server=on,wait=off" \
    -device "loader,file=$work/rand,addr=0x40100000,force-raw=on" < /dev/null > "$work/qemu-src.log" 2>&1 &
  local src=$!; pids+=("$src")
  qemu-system-aarch64 "${common[@]}" -qmp "unix:$work/dst.qmp,server=on,wait=off" -incoming defer -mem-prealloc \
    < /dev/null > "$work/qemu-dst.log" 2>&1 &
  local dst=$!; pids+=("$dst")
  local figures
  if ! figures=$(python3 "$work/qmp-migrate.py" "$work/src.qmp" "$work/dst.qmp" "$port" "$timeout"); then
    echo "qemu-compare: QEMU's logs:" >&2; cat "$work/qemu-src.log" "$work/qemu-dst.log" >&2; exit 1
  fi
  wait "$src" 2> /dev/null || true; wait "$dst" 2> /dev/null || true
  pids=()
  rm -f "$work/src.qmp" "$work/dst.qmp"
  echo "$figures"
}

ours_run() {
  local port; port=$(free_port)
  "$root/mte-migrate" target --listen "127.0.0.1:$port" --once --prealloc "${mib}M" \
    > "$work/target.out" 2> "$work/target.err" &
  local target=$!; pids+=("$target")
  local waited=0
  until grep -q "listening on" "$work/target.err" 2> /dev/null; do
    if ! kill -0 "$target" 2> /dev/null; then
      echo "qemu-compare: our target exited before listening:" >&2; cat "$work/target.err" >&2; exit 1
    fi
    if [ $waited -ge 1200 ]; then
      echo "qemu-compare: our target did not listen within 120 s" >&2; exit 1
    fi
    sleep 0.1; waited=$(( waited + 1 ))
  done
  rm -f "$work/source.json"
  if ! timeout "$timeout" "$root/mte-migrate" source --connect "127.0.0.1:$port" --ram "${mib}M" --workload idle \
      --fill random --json "$work/source.json" > "$work/source.out" 2> "$work/source.err"; then
    echo "qemu-compare: our source failed:" >&2; cat "$work/source.err" >&2; exit 1
  fi
  # After the migration the target runs the guest to the end of its steps (seconds); then it exits.
  for _ in $(seq 600); do kill -0 "$target" 2> /dev/null || break; sleep 0.1; done
  kill "$target" 2> /dev/null || true
  wait "$target" 2> /dev/null || true
  pids=()
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["bytesOnWire"], r["totalTimeMs"], r["downtimeMs"], r["throughputMBps"])' \
    "$work/source.json"
}

qemu_mbps=()
ours_mbps=()
for run in $(seq 1 "$repeat"); do
  echo "qemu-compare: run $run of $repeat: QEMU..." >&2
  # Called with a redirection, not in $(...): a subshell would hide the started processes from the cleanup.
  qemu_run > "$work/qemu.figures"
  read -r q_bytes q_ms q_down < "$work/qemu.figures"
  echo "qemu-compare: run $run of $repeat: mte-migrate..." >&2
  ours_run > "$work/ours.figures"
  read -r o_bytes o_ms o_down o_mbps < "$work/ours.figures"
  q=$(python3 -c "print(f'{$q_bytes / 1e6 / ($q_ms / 1e3):.0f}')")
  o=$(python3 -c "print(f'{$o_mbps:.0f}')")
  qemu_mbps+=("$q"); ours_mbps+=("$o")
  printf 'run %d: QEMU %d MB in %d ms = %d MB/s (downtime %d ms); mte-migrate %d MB in %d ms = %d MB/s (downtime %d ms); mte-migrate/QEMU %s\n' \
    "$run" $(( q_bytes / 1000000 )) "$q_ms" "$q" "$q_down" $(( o_bytes / 1000000 )) "$o_ms" "$o" "$o_down" \
    "$(python3 -c "print(f'{$o / $q:.2f}')")"
done
python3 - "${qemu_mbps[*]}" "${ours_mbps[*]}" <<'PY'
import statistics, sys
q = statistics.median(map(float, sys.argv[1].split()))
o = statistics.median(map(float, sys.argv[2].split()))
print(f"median: QEMU 7.2 {q:.0f} MB/s, mte-migrate {o:.0f} MB/s, mte-migrate/QEMU {o / q:.2f}")
PY
