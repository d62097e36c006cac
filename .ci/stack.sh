#!/usr/bin/env bash
# Runs `./nitro-emu start` in the background for CI, the way a user runs it in a second terminal.
#
#   .ci/stack.sh start DIR [START-ARGS...]  starts `./nitro-emu start START-ARGS` from the current
#       directory with its output in DIR/stack.log and its pid in DIR/stack.pid, and waits until it
#       prints "nitro-emu: ready" (at most NITRO_EMU_READY_TIMEOUT seconds, default 600, because the
#       launcher may build its jar first). Fails, printing the log, if it exits or times out.
#   .ci/stack.sh stop DIR  sends SIGTERM (Ctrl-C's effect), waits at most 30 s for the exit and checks
#       that it said "nitro-emu: stopping". Does nothing if DIR/stack.pid does not exist.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR [nitro-emu start args...] | stop DIR" >&2
  exit 2
}
(($# >= 2)) || usage
action=$1
dir=$2
shift 2

case "$action" in
  start)
    mkdir -p "$dir"
    ./nitro-emu start "$@" > "$dir/stack.log" 2>&1 &
    pid=$!
    echo "$pid" > "$dir/stack.pid"
    deadline=$((SECONDS + ${NITRO_EMU_READY_TIMEOUT:-600}))
    until grep -q "nitro-emu: ready" "$dir/stack.log"; do
      if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
        cat "$dir/stack.log" >&2
        echo "stack.sh: nitro-emu start did not become ready" >&2
        exit 1
      fi
      sleep 0.5
    done
    echo "stack.sh: nitro-emu start is ready (pid $pid, log $dir/stack.log)" >&2
    ;;
  stop)
    [[ -f "$dir/stack.pid" ]] || exit 0
    pid=$(cat "$dir/stack.pid")
    rm -f "$dir/stack.pid"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        echo "stack.sh: nitro-emu start (pid $pid) did not stop within 30 s of SIGTERM" >&2
        exit 1
      fi
    fi
    if ! grep -q "nitro-emu: stopping" "$dir/stack.log"; then
      cat "$dir/stack.log" >&2
      echo "stack.sh: nitro-emu start exited without stopping cleanly" >&2
      exit 1
    fi
    echo "stack.sh: nitro-emu start stopped (pid $pid)" >&2
    ;;
  *)
    usage
    ;;
esac
