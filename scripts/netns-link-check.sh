#!/usr/bin/env bash
# What a tbf-shaped veth link between two network namespaces carries: raw TCP goodput (one stream, Python), then
# idle 1 GiB migrations over it, without and with mutual TLS. Needs root, iproute2 and python3; creates and
# deletes the namespaces mtm-a and mtm-b (192.0.2.1 and 192.0.2.2). Usage: scripts/netns-link-check.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
delete_namespaces() { ip netns del mtm-a 2>/dev/null || true; ip netns del mtm-b 2>/dev/null || true; }
trap 'delete_namespaces; rm -rf "$work"' EXIT
delete_namespaces
ip netns add mtm-a
ip netns add mtm-b
ip link add mtm-va netns mtm-a type veth peer name mtm-vb netns mtm-b
ip -n mtm-a addr add 192.0.2.1/24 dev mtm-va
ip -n mtm-b addr add 192.0.2.2/24 dev mtm-vb
for ns in mtm-a mtm-b; do ip -n "$ns" link set lo up; done
ip -n mtm-a link set mtm-va up
ip -n mtm-b link set mtm-vb up
shape() {
  local burst=$(( $1 / 8 / 250 )); [ "$burst" -lt 65536 ] && burst=65536
  tc -n mtm-a qdisc replace dev mtm-va root tbf rate "$1bit" burst "$burst" latency 100ms
  tc -n mtm-b qdisc replace dev mtm-vb root tbf rate "$1bit" burst "$burst" latency 100ms
}
cat > "$work/raw.py" <<'PY'
import socket, sys, time
if sys.argv[1] == 'server':
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('192.0.2.2', 7800)); s.listen(1); c, _ = s.accept(); n = 0; t = time.time()
    while True:
        b = c.recv(1 << 20)
        if not b: break
        n += len(b)
    print(n / (time.time() - t) / 1e6)
else:
    c = socket.create_connection(('192.0.2.2', 7800)); buf = b'x' * (1 << 20)
    for i in range(int(sys.argv[2])): c.sendall(buf)
    c.close()
PY
for rate in 1000000000 200000000; do
  shape "$rate"
  ip netns exec mtm-b python3 "$work/raw.py" server > "$work/raw.out" &
  sleep 1
  ip netns exec mtm-a python3 "$work/raw.py" client $(( rate / 8000000 * 8 ))
  wait
  awk -v r="$rate" '{printf "raw TCP over %d Mbit/s: %.1f MB/s = %.3f of the link\n", r / 1e6, $1, $1 * 8e6 / r}' "$work/raw.out"
done
shape 1000000000
"$root/mte-migrate" certs --out "$work/pki" --target-name 192.0.2.2 > /dev/null
cd "$work/pki"
for mode in plain tls; do
  if [ "$mode" = plain ]; then tls=(--insecure); src=(--insecure)
  else tls=(--tls-keystore target.p12 --tls-truststore trust.p12 --tls-password-file password)
       src=(--tls-keystore source.p12 --tls-truststore trust.p12 --tls-password-file password); fi
  for i in 1 2 3; do
    ip netns exec mtm-b "$root/mte-migrate" target --listen 192.0.2.2:7777 --once --run-for 1s --quiet "${tls[@]}" &
    sleep 3
    ip netns exec mtm-a "$root/mte-migrate" source --connect 192.0.2.2:7777 --ram 1G --workload idle --quiet \
      --json "$work/s.json" "${src[@]}" || true
    wait
    python3 -c "import json,sys; d = json.load(open('$work/s.json')); print('idle 1 GiB, $mode, run $i: %s in %s ms, %.1f MB/s = %.3f of the link' % (d['status'], d['totalTimeMs'], d['throughputMBps'], d['throughputMBps'] / 125))"
  done
done
