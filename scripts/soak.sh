#!/usr/bin/env bash
# Soak: `sequencer --stripped` + the node (`--chain dev --upstream`, executing every
# flashblock) + `loadgen` on loopback, for a bounded time, sampling the node every second.
#
#   cargo build --release -p flashblocks-node -p flashblocks-examples --bin sequencer --bin loadgen
#   scripts/soak.sh [RATE] [SECONDS] [OUT_DIR]        # defaults: 800 tx/s, 120 s, target/soak-<time>
#
# NODE=path/to/binary picks the node (default target/release/flashblocks-node, else
# target/release/pending_rpc); NODE_ARGS adds flags; NODE=none runs the sequencer and
# loadgen alone (the load side's own throughput). Each second it records, in
# OUT_DIR/samples.csv: the node's `flashblocks_newest_age_seconds` (its /metrics), the
# latency of `eth_getBlockByNumber("pending")` against the node and the seconds since
# the pending block it answers last changed (an age measured from outside the node), the
# node's RSS and the CPU each process used in that second, and the machine's load and
# busy share. At the end it prints a summary (and writes OUT_DIR/summary.txt): the worst
# ages, the samples at or over 2 s, the RPC failures, RSS first/last/max, mean CPU, and
# loadgen's report. It starts three processes and stops exactly those, by pid, however it
# ends; each is also bounded in time by its own flag where it has one.
set -euo pipefail
rate=${1:-800}
seconds=${2:-120}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${3:-$root/target/soak-$(date -u +%Y%m%dT%H%M%S)}
bin=$root/target/release
node=${NODE:-}
if [ -z "$node" ]; then
  if [ -x "$bin/flashblocks-node" ]; then node=$bin/flashblocks-node; else node=$bin/pending_rpc; fi
fi
for b in "$bin/sequencer" "$bin/loadgen" "$node"; do
  [ "$b" = none ] && continue
  [ -x "$b" ] || { echo "missing $b: build the release binaries first (see the header)" >&2; exit 1; }
done
mkdir -p "$out"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# Waits (at most 60 s) for a line starting with $2 in file $1; prints the rest of it.
ready_line() {
  for _ in $(seq 600); do
    if line=$(grep -m1 "^$2" "$1" 2>/dev/null); then echo "${line#"$2"}"; return 0; fi
    sleep 0.1
  done
  echo "no '$2' line in $1 within 60 s" >&2
  return 1
}

bound=$((seconds + 120))
RUST_LOG=${SEQUENCER_LOG:-info,flashblocks_examples::sequencer=debug} "$bin/sequencer" --ws-port 0 --rpc-port 0 --stripped \
  --seconds "$bound" >"$out/sequencer.out" 2>"$out/sequencer.log" &
seq_pid=$!; pids+=("$seq_pid")
line=$(ready_line "$out/sequencer.out" "sequencer ")
ws=$(sed -n 's/.*ws=\([^ ]*\).*/\1/p' <<<"$line")
rpc=$(sed -n 's/.*rpc=\([^ ]*\).*/\1/p' <<<"$line")

if [ "$node" = none ]; then
  # The sequencer alone: its own RPC is sampled, its own RSS recorded.
  node_pid=$seq_pid; node_addr=${rpc#http://}; metrics_addr=""
  echo "sequencer pid $seq_pid ws=$ws rpc=$rpc; no node"
else
  # shellcheck disable=SC2086
  RUST_LOG=${NODE_LOG:-info} "$node" --port 0 --metrics 127.0.0.1:0 --ws "$ws" --upstream "$rpc" \
    --chain dev ${NODE_ARGS:-} >"$out/node.out" 2>"$out/node.log" &
  node_pid=$!; pids+=("$node_pid")
  line=$(ready_line "$out/node.out" "listening on ")
  node_addr=$(awk '{print $1}' <<<"$line")
  metrics_addr=$(awk '{print $3}' <<<"$line")
  echo "sequencer pid $seq_pid ws=$ws rpc=$rpc; node pid $node_pid http://$node_addr metrics http://$metrics_addr"
fi
sleep 3

"$bin/loadgen" --rpc "$rpc" --rate "$rate" --seconds "$seconds" >"$out/loadgen.out" 2>&1 &
load_pid=$!; pids+=("$load_pid")

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
cpu_total() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8, $5+$6}' /proc/stat; }
echo "t_s,cache_bytes,hits,misses,upstream_requests,node_rss_kb" >"$out/cache.csv"
echo "t_s,age_metric_s,pending_age_s,rpc_ms,rpc_ok,node_rss_kb,node_cpu_pct,sequencer_cpu_pct,loadgen_cpu_pct,load1,machine_busy_pct" >"$out/samples.csv"
prev_node=$(ticks "$node_pid"); prev_seq=$(ticks "$seq_pid"); prev_load=$(ticks "$load_pid")
read -r prev_all prev_idle < <(cpu_total)
last_pending=""; last_change=$(date +%s.%N)
# The node answers `pending`; the sequencer alone, `latest` (it serves no pending block).
tag=pending; [ "$node" = none ] && tag=latest
start=$(date +%s.%N)
t=0
# Bounded: one sample a second for at most `seconds` + 60 s, until loadgen ends.
while [ "$t" -lt $((seconds + 60)) ] && kill -0 "$load_pid" 2>/dev/null; do
  sleep 1
  t=$((t + 1))
  age=""
  if [ -n "$metrics_addr" ]; then
    curl -s --max-time 2 "http://$metrics_addr/metrics" >"$out/metrics.txt" || true
    age=$(awk '/^flashblocks_newest_age_seconds /{print $2}' "$out/metrics.txt")
    # The state cache and the upstream, each second: t, cache bytes, hits, misses,
    # upstream requests (every method), the node's RSS.
    awk -v t="$t" -v rss="$(awk '/^VmRSS/{print $2}' "/proc/$node_pid/status" 2>/dev/null || echo 0)" '
      /^flashblocks_state_cache_bytes / {b = $2} /^flashblocks_state_cache_hits_total / {h = $2}
      /^flashblocks_state_cache_misses_total / {m = $2} /^flashblocks_upstream_requests_total/ {r += $2}
      END {printf "%d,%.0f,%.0f,%.0f,%.0f,%d\n", t, b, h, m, r, rss}' "$out/metrics.txt" >>"$out/cache.csv"
  fi
  t0=$(date +%s.%N)
  answer=$(curl -s --max-time 5 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockByNumber\",\"params\":[\"$tag\",false]}" \
    "http://$node_addr" || true)
  t1=$(date +%s.%N)
  rpc_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)*1000}')
  pending=$(grep -o '"number":"[^"]*"\|"nonce":"[^"]*"\|"gasUsed":"[^"]*"\|"hash":"[^"]*"' <<<"$answer" | tr -d '\n' || true)
  rpc_ok=0; [ -n "$pending" ] && rpc_ok=1
  if [ -n "$pending" ] && [ "$pending" != "$last_pending" ]; then last_pending=$pending; last_change=$t1; fi
  pending_age=$(awk -v a="$last_change" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$node_pid/status" 2>/dev/null || echo 0)
  now_node=$(ticks "$node_pid"); now_seq=$(ticks "$seq_pid"); now_load=$(ticks "$load_pid")
  read -r all idle < <(cpu_total)
  # A process that ended reads 0 ticks: its share of that second is not known (0).
  pct() { awk -v d="$1" -v hz="$hz" 'BEGIN{if (d < 0) d = 0; printf "%.0f", d*100/hz}'; }
  busy=$(awk -v a=$((all - prev_all)) -v i=$((idle - prev_idle)) 'BEGIN{if (a>0) printf "%.0f", (a-i)*100/a; else print 0}')
  echo "$t,${age:-},${pending_age},${rpc_ms},${rpc_ok},${rss},$(pct $((now_node - prev_node))),$(pct $((now_seq - prev_seq))),$(pct $((now_load - prev_load))),$(cut -d' ' -f1 /proc/loadavg),${busy}" >>"$out/samples.csv"
  prev_node=$now_node; prev_seq=$now_seq; prev_load=$now_load; prev_all=$all; prev_idle=$idle
done
wait "$load_pid" || true
[ -n "$metrics_addr" ] && curl -s --max-time 5 "http://$metrics_addr/metrics" >"$out/metrics-end.txt" || true
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}')

{
  echo "soak: rate=$rate tx/s seconds=$seconds sampled_s=$elapsed node=$(basename "$node") out=$out"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  awk -F, 'NR>1 {
      n++; if ($2+0 > am) am = $2+0; if ($3+0 > pm) pm = $3+0;
      if ($2+0 >= 2) aover++; if ($3+0 >= 2) pover++;
      if ($5 == 0) fail++; if ($4+0 > rm) rm = $4+0; rs += $4;
      if (n == 1) r1 = $6; rl = $6; if ($6+0 > rx) rx = $6+0;
      nc += $7; sc += $8; lc += $9; ld += $10; mb += $11;
    } END {
      if (n == 0) { print "no samples"; exit }
      printf "samples=%d newest_age_metric_max_s=%.2f samples_at_or_over_2s=%d pending_age_max_s=%.2f pending_samples_at_or_over_2s=%d\n", n, am, aover+0, pm, pover+0;
      printf "rpc eth_getBlockByNumber(pending): failures=%d mean_ms=%.1f max_ms=%.1f\n", fail+0, rs/n, rm;
      printf "node rss_kb first=%d last=%d max=%d; cpu mean %%: node=%.0f sequencer=%.0f loadgen=%.0f; load1 mean=%.2f machine busy mean=%.0f%%\n", r1, rl, rx, nc/n, sc/n, lc/n, ld/n, mb/n;
    }' "$out/samples.csv"
  if [ -s "$out/metrics-end.txt" ]; then
    # Publish delay (frame arrival -> published snapshot): p50/p99 as the bucket bounds
    # that hold them, and the share within one flashblock interval (0.2 s).
    awk '/^flashblocks_publish_delay_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); n++; les[n] = le; cs[n] = $2 }
      /^flashblocks_publish_delay_seconds_count/ { total = $2 }
      END { if (total == 0) { print "publish delay: no samples"; exit }
        for (i = 1; i <= n; i++) { if (p50 == "" && cs[i] >= 0.5 * total) p50 = les[i]; if (p99 == "" && cs[i] >= 0.99 * total) p99 = les[i]; if (les[i] == "0.2") w = cs[i] }
        printf "publish delay: frames=%d p50<=%ss p99<=%ss within_0.2s=%.2f%%\n", total, p50, p99, 100 * w / total }' "$out/metrics-end.txt"
    awk '/^flashblocks_state_cache_hits_total / {h = $2} /^flashblocks_state_cache_misses_total / {m = $2}
      /^flashblocks_state_cache_drops_total / {d = $2}
      /^flashblocks_upstream_requests_total/ { match($0, /method="[^"]*"/); k = substr($0, RSTART + 8, RLENGTH - 9); r[k] += $2; all += $2 }
      /^flashblocks_upstream_batches_total / {b = $2}
      END { printf "state cache: hits=%d misses=%d hit_rate=%.4f drops=%d; upstream requests=%d batches=%d:", h, m, (h + m) ? h / (h + m) : 0, d, all, b;
        for (k in r) printf " %s=%d", k, r[k]; print "" }' "$out/metrics-end.txt"
    # RSS from the first sample where the cache is within 5 % of its largest size.
    awk -F, 'NR > 1 { n++; t[n] = $1; b[n] = $2; rss[n] = $6; if ($2 + 0 > mb) mb = $2 + 0 }
      END { for (i = 1; i <= n; i++) if (b[i] >= 0.95 * mb) { f = i; break }
        if (!f) { print "cache: no samples"; exit }
        lo = rss[f]; hi = rss[f]; for (i = f; i <= n; i++) { if (rss[i] < lo) lo = rss[i]; if (rss[i] > hi) hi = rss[i] }
        printf "cache bytes max=%d, full (>= 95%%) from t=%ss: node rss_kb then=%d min=%d max=%d last=%d (max/min %.3f)\n", mb, t[f], rss[f], lo, hi, rss[n], hi / lo
        # The trend: RSS averaged over each whole minute after the cache is full.
        for (i = f; i <= n; i++) { m = int((t[i] - t[f]) / 60); ms[m] += rss[i]; mn[m]++ }
        for (m in mn) if (mn[m] >= 30) { v = ms[m] / mn[m]; if (mlo == "" || v < mlo) mlo = v; if (v > mhi) mhi = v; k++ }
        if (k) printf "node rss_kb minute means after full: %d minutes, min=%.0f max=%.0f (max/min %.3f)\n", k, mlo, mhi, mhi / mlo }' "$out/cache.csv"
  fi
  cat "$out/loadgen.out"
  # The sequencer's flashblocks (its debug log): transactions each, and the owner's time
  # to make one (execute, state root, seal, encode).
  sed 's/\x1b\[[0-9;]*m//g' "$out/sequencer.log" | awk '/ flashblock / {
      t = ""; m = ""; x = "";
      for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "transactions") t = kv[2]; if (kv[1] == "ms") m = kv[2]; if (kv[1] == "index") x = kv[2] }
      if (x != "0" && t != "") print t, m
    }' >"$out/flashblocks.txt"
  if [ -s "$out/flashblocks.txt" ]; then
    n=$(wc -l <"$out/flashblocks.txt")
    p99=$(awk '{print $2}' "$out/flashblocks.txt" | sort -n | awk -v n="$n" 'NR == int(n * 0.99 + 0.999) {print}')
    awk -v p99="$p99" '{ n++; tt += $1; if ($1 + 0 > tmax) tmax = $1 + 0; mm += $2; if ($2 + 0 > mmax) mmax = $2 + 0 }
      END { printf "sequencer flashblocks after index 0: %d, transactions mean=%.0f max=%d; owner ms mean=%.1f p99=%.1f max=%.1f\n", n, tt/n, tmax, mm/n, p99, mmax }' "$out/flashblocks.txt"
  else
    echo "sequencer: no flashblock lines (SEQUENCER_LOG without debug?)"
  fi
  grep -c "block sealed" "$out/sequencer.log" | sed 's/^/sequencer blocks sealed: /'
} | tee "$out/summary.txt"
