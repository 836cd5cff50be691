#!/usr/bin/env bash
# Makes sure `redis-server` is installed. The RedisReplayStore tests
# (packages/node/src/replay/redis-replay-store.test.ts) start private servers with it (one for
# the whole file when WARD_REDIS_URL is unset, and always one to kill mid-test), and fail rather
# than skip when it is missing. Runs from the root `pretest`, before interop/setup.sh.
# As root with apt-get (Debian/Ubuntu) it installs the distribution's package; otherwise it
# says how. Idempotent: when the binary is there it only prints its version.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    printf '\n==> redis-server missing: installing it from Debian (apt-get install redis-server)\n'
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    cat >&2 <<'MSG'
redis-server not found: the RedisReplayStore tests start private Redis servers and need it.
Install it, then run the tests again:
  Debian/Ubuntu:  sudo apt-get install -y redis-server
  macOS:          brew install redis
MSG
    exit 1
  fi
fi
redis-server --version
