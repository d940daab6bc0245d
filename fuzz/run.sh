#!/usr/bin/env bash
# Fuzz smtp-doctor's reply parser and explain's input handling with libFuzzer.
#   fuzz/run.sh [SECONDS_PER_TARGET]     (default 60; the issue's bar is 600)
#   fuzz/run.sh --replay                 (only replay the checked-in seeds: CI)
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the
# machine's stable toolchain (no other toolchain can be fetched here).
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.1 --locked
export RUSTC_BOOTSTRAP=1
SECS=${1:-60}
for target in reply_parser explain_input; do
  mkdir -p "corpus-tmp/$target"
  if [ "$SECS" = "--replay" ]; then
    # -runs=0 executes every seed once and exits non-zero on a crash.
    cargo fuzz run -O "$target" "seeds/$target" -- -runs=0
  else
    cargo fuzz run -O "$target" "corpus-tmp/$target" "seeds/$target" -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=512
  fi
done
