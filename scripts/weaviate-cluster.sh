#!/usr/bin/env bash
# Weaviate cluster on loopback for sift's scale-out tests and benchmarks.
#
# Contract forms (tools outside the project call these; keep them exactly):
#   scripts/weaviate-cluster.sh up N DIR   start N nodes on 127.0.0.1; returns when all N are ready and
#                                          prints node 1's REST URL as its last line
#   scripts/weaviate-cluster.sh down DIR   stop them (by the PIDs recorded in DIR)
# Helpers for fault tests:
#   scripts/weaviate-cluster.sh kill DIR I    kill -9 node I
#   scripts/weaviate-cluster.sh start DIR I   restart node I on its data and wait until it is ready
#   scripts/weaviate-cluster.sh binary        build or reuse the pinned binary; print its path
#
# The binary is Weaviate v$WEAVIATE_VERSION built from source with Go (as Weaviate's Makefile builds it),
# cached by version outside the repository: $SIFT_WEAVIATE_CACHE/<version>/weaviate-server
# (default ~/.cache/sift/weaviate). A cold build takes minutes; later runs reuse the binary.
#
# Port layout: node I (1-based) uses BASE+10(I-1)+{0 REST, 1 gRPC, 2 gossip, 3 data, 4 raft,
# 5 raft RPC, 6 profiling}, BASE chosen so that every port is free. sift's client finds a node's gRPC
# port at its REST port + 1 (override with SIFT_WEAVIATE_GRPC_PORT). Only 127.0.0.1 is advertised, but
# gRPC, the data port and profiling bind to all interfaces: never send load anywhere but loopback.
# The recipe and its pitfalls: ../shared/scaleout/WEAVIATE.md.
set -euo pipefail

WEAVIATE_VERSION="${WEAVIATE_VERSION:-1.35.2}"
CACHE_ROOT="${SIFT_WEAVIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sift/weaviate}"
READY_TIMEOUT_S="${SIFT_WEAVIATE_READY_TIMEOUT:-120}"

die() {
  echo "weaviate-cluster: $*" >&2
  exit 1
}

usage() {
  die "usage: $0 up N DIR | down DIR | kill DIR I | start DIR I | binary"
}

# Builds (once per version, under a lock) or reuses the pinned binary; prints its path.
ensure_binary() {
  local dir="$CACHE_ROOT/$WEAVIATE_VERSION"
  local bin="$dir/weaviate-server"
  if [ -x "$bin" ]; then
    echo "$bin"
    return
  fi
  command -v go >/dev/null || die "Weaviate $WEAVIATE_VERSION is not cached at $bin and there is no Go toolchain to build it"
  mkdir -p "$dir"
  (
    flock 9
    if [ ! -x "$bin" ]; then
      echo "weaviate-cluster: building Weaviate v$WEAVIATE_VERSION into $bin (cold build: several minutes)" >&2
      local started=$SECONDS
      rm -rf "$dir/bin.tmp"
      GOPATH="${SIFT_WEAVIATE_GOPATH:-$CACHE_ROOT/go}" GOBIN="$dir/bin.tmp" CGO_ENABLED=0 \
        go install -ldflags "-s -w" -tags netgo \
        "github.com/weaviate/weaviate/cmd/weaviate-server@v$WEAVIATE_VERSION" >&2
      mv "$dir/bin.tmp/weaviate-server" "$bin"
      rm -rf "$dir/bin.tmp"
      echo "weaviate-cluster: built in $((SECONDS - started)) s" >&2
    fi
  ) 9>"$dir/.build.lock"
  [ -x "$bin" ] || die "the build did not produce $bin"
  echo "$bin"
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A base port whose 10·N ports are all free (not listening on loopback).
pick_base() {
  local n=$1 base p ok
  for base in $(seq 20000 100 39900); do
    ok=1
    for ((p = base; p < base + 10 * n; p++)); do
      if ! port_free "$p"; then
        ok=0
        break
      fi
    done
    if [ "$ok" = 1 ]; then
      echo "$base"
      return
    fi
  done
  die "no free block of $((10 * n)) ports between 20000 and 40000"
}

node_port() { # base index offset
  echo $(($1 + 10 * ($2 - 1) + $3))
}

pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null
}

# Starts node I of the cluster described in DIR/cluster.env (does not wait).
start_node() {
  local dir=$1 i=$2
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  local raft_join="" j
  for ((j = 1; j <= N; j++)); do
    raft_join+="${raft_join:+,}node$j:$(node_port "$BASE" "$j" 4)"
  done
  mkdir -p "$dir/n$i"
  local join_env=()
  if [ "$i" -gt 1 ]; then join_env=(CLUSTER_JOIN="127.0.0.1:$(node_port "$BASE" 1 2)"); fi
  env PERSISTENCE_DATA_PATH="$dir/n$i" \
    AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    DEFAULT_VECTORIZER_MODULE=none ENABLE_MODULES= DISABLE_TELEMETRY=true \
    PROMETHEUS_MONITORING_ENABLED=false QUERY_DEFAULTS_LIMIT=25 \
    CLUSTER_HOSTNAME="node$i" CLUSTER_IN_LOCALHOST=true \
    CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_ADVERTISE_ADDR=127.0.0.1 \
    CLUSTER_GOSSIP_BIND_PORT="$(node_port "$BASE" "$i" 2)" \
    CLUSTER_DATA_BIND_PORT="$(node_port "$BASE" "$i" 3)" \
    "${join_env[@]}" \
    RAFT_PORT="$(node_port "$BASE" "$i" 4)" RAFT_INTERNAL_RPC_PORT="$(node_port "$BASE" "$i" 5)" \
    RAFT_JOIN="$raft_join" RAFT_BOOTSTRAP_EXPECT="$N" \
    GRPC_PORT="$(node_port "$BASE" "$i" 1)" GO_PROFILING_PORT="$(node_port "$BASE" "$i" 6)" \
    setsid "$BIN" --host 127.0.0.1 --port "$(node_port "$BASE" "$i" 0)" --scheme http \
    >>"$dir/n$i.log" 2>&1 </dev/null &
  echo $! >"$dir/n$i.pid"
}

wait_tcp() { # port timeout what
  local deadline=$((SECONDS + $2))
  until ! port_free "$1"; do
    [ $SECONDS -lt $deadline ] || die "$3: port $1 did not open within $2 s"
    sleep 0.2
  done
}

wait_ready() { # dir index
  local dir=$1 i=$2
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  local url="http://127.0.0.1:$(node_port "$BASE" "$i" 0)"
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -fsS -o /dev/null "$url/v1/.well-known/ready" 2>/dev/null; do
    pid_alive "$(cat "$dir/n$i.pid")" || die "node $i exited during start; its log: $dir/n$i.log"
    [ $SECONDS -lt $deadline ] || die "node $i ($url) not ready within ${READY_TIMEOUT_S} s; its log: $dir/n$i.log"
    sleep 0.5
  done
}

# Every node sees all N nodes HEALTHY (membership and schema consensus formed).
wait_cluster() { # dir
  local dir=$1
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  local deadline=$((SECONDS + READY_TIMEOUT_S)) i healthy
  for ((i = 1; i <= N; i++)); do
    local url="http://127.0.0.1:$(node_port "$BASE" "$i" 0)"
    while :; do
      healthy=$(curl -fsS "$url/v1/nodes" 2>/dev/null | grep -o '"status":"HEALTHY"' | wc -l || true)
      [ "$healthy" -ge "$N" ] && break
      [ $SECONDS -lt $deadline ] || die "node $i sees $healthy of $N nodes healthy after ${READY_TIMEOUT_S} s"
      sleep 0.5
    done
  done
}

cmd_up() {
  local n=${1:-} dir=${2:-}
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ -n "$dir" ] || usage
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local i
  for ((i = 1; i <= n; i++)); do
    if [ -f "$dir/n$i.pid" ] && pid_alive "$(cat "$dir/n$i.pid")"; then
      die "node $i of $dir is already running (pid $(cat "$dir/n$i.pid")); run: $0 down $dir"
    fi
  done
  local bin base
  bin=$(ensure_binary)
  base=$(pick_base "$n")
  printf 'N=%s\nBASE=%s\nBIN=%q\n' "$n" "$base" "$bin" >"$dir/cluster.env"
  start_node "$dir" 1
  # A failed CLUSTER_JOIN is fatal, not retried: the others start once node 1's gossip port accepts.
  wait_tcp "$(node_port "$base" 1 2)" "$READY_TIMEOUT_S" "node 1 gossip"
  for ((i = 2; i <= n; i++)); do start_node "$dir" "$i"; done
  for ((i = 1; i <= n; i++)); do wait_ready "$dir" "$i"; done
  wait_cluster "$dir"
  echo "weaviate-cluster: $n node(s) of Weaviate $WEAVIATE_VERSION ready in $dir" >&2
  echo "http://127.0.0.1:$(node_port "$base" 1 0)"
}

stop_pid() { # pid signal-wait-seconds
  local pid=$1 deadline=$((SECONDS + $2))
  pid_alive "$pid" || return 0
  # Only ever signal the weaviate-server this script started.
  grep -qa weaviate-server "/proc/$pid/cmdline" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

cmd_down() {
  local dir=${1:-}
  [ -n "$dir" ] || usage
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir"
  local f
  for f in "$dir"/n*.pid; do
    [ -f "$f" ] || continue
    stop_pid "$(cat "$f")" 20
    rm -f "$f"
  done
  echo "weaviate-cluster: stopped the nodes of $dir" >&2
}

cmd_kill() {
  local dir=${1:-} i=${2:-}
  [ -n "$dir" ] && [ -n "$i" ] || usage
  local pid
  pid=$(cat "$dir/n$i.pid")
  grep -qa weaviate-server "/proc/$pid/cmdline" 2>/dev/null || die "node $i (pid $pid) is not running"
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.1; done
  echo "weaviate-cluster: killed node $i (pid $pid)" >&2
}

cmd_start() {
  local dir=${1:-} i=${2:-}
  [ -n "$dir" ] && [ -n "$i" ] || usage
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/n$i.pid" ] && pid_alive "$(cat "$dir/n$i.pid")"; then die "node $i is already running"; fi
  start_node "$dir" "$i"
  wait_ready "$dir" "$i"
  wait_cluster "$dir"
  echo "weaviate-cluster: node $i is back" >&2
}

case "${1:-}" in
  up) cmd_up "${2:-}" "${3:-}" ;;
  down) cmd_down "${2:-}" ;;
  kill) cmd_kill "${2:-}" "${3:-}" ;;
  start) cmd_start "${2:-}" "${3:-}" ;;
  binary) ensure_binary ;;
  *) usage ;;
esac
