#!/usr/bin/env bash
# `make bench`: installs wrk when missing, then runs every benchmark phase (bench/main.py).
# Knobs (environment): BENCH_DURATION (s per level, default 25), BENCH_LEVELS ("8 16 32"),
# BENCH_WORKERS (2), BENCH_PHASES ("pgbench duka graphql lean upload auth limits metrics
# group_commit"), BENCH_GROUP_COMMIT_LEVELS ("8 16 32 64"),
# BENCH_UPLOAD_ROWS (100000), BENCH_SOAK (1) and BENCH_SOAK_* (bench/soak.py),
# BENCH_LABEL (text for the summary heading), BENCH_KEEP_POSTGRES=1 (leave it running).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

if ! command -v wrk >/dev/null 2>&1; then
    echo "[bench] installing wrk" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq wrk >/dev/null
fi

uv run --frozen python -m bench.main
# The soak (bench/soak.py): BENCH_SOAK_DURATION seconds (600) of mixed traffic with the SMS
# runner on; BENCH_SOAK=0 skips it.
if [ "${BENCH_SOAK:-1}" = "1" ]; then
    exec uv run --frozen python -m bench.soak
fi
