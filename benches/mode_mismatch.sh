#!/usr/bin/env bash
# Time to verdict for the 465/587 mix-up, both directions, against the
# interop harness's Postfix on loopback, with default deadlines:
#
#   bash benches/mode_mismatch.sh              # 5 runs per direction
#   RUNS=20 bash benches/mode_mismatch.sh
#   HARNESS=/tmp/h/harness BIN=target/release/smtp-doctor bash benches/mode_mismatch.sh
#
# Needs the harness listening on 127.0.0.1:10465 (implicit TLS) and :10587
# (STARTTLS); see ../shared/harness. Builds the release binary when BIN is
# not given. Prints, per direction, the category and exit code of the last
# run, the wall time of each run (min / median / max) and the first suggested
# setting (port/mode/verified), and a run with --no-suggest when the binary
# has it (the time of the verdict alone). Needs python3 to read the JSON.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${HARNESS:-${SMTP_DOCTOR_HARNESS:-/tmp/h/harness}}
RUNS=${RUNS:-5}
CA="$HARNESS/run/certs/ca.pem"
[ -f "$CA" ] || { echo "no harness CA at $CA (set HARNESS=)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release --locked --quiet)
    BIN="$ROOT/target/release/smtp-doctor"
fi

# name, port, --tls, extra flags
cases=(
    "starttls-on-implicit-port 10465 starttls"
    "implicit-on-starttls-port 10587 implicit"
)
extra_runs=("")
if "$BIN" check --help 2>/dev/null | grep -q -- '--no-suggest'; then
    extra_runs=("" "--no-suggest")
fi

now() { date +%s.%N; }

printf '%s\n' "smtp-doctor $("$BIN" --version | cut -d' ' -f2-), $(date -u +%Y-%m-%dT%H:%MZ), $RUNS runs each"
printf '%-28s %-13s %-18s %5s %8s %8s %8s  %s\n' direction flags category exit min_s median_s max_s first_suggestion
for c in "${cases[@]}"; do
    read -r name port tls <<<"$c"
    for extra in "${extra_runs[@]}"; do
        times=()
        category=? code=? suggestion=-
        for _ in $(seq "$RUNS"); do
            start=$(now)
            set +e
            out=$(SMTP_DOCTOR_PASSWORD='correct horse' "$BIN" check alice@example.test \
                --host 127.0.0.1 --port "$port" --tls "$tls" --cafile "$CA" \
                --format json $extra 2>/dev/null)
            code=$?
            set -e
            end=$(now)
            times+=("$(echo "$end - $start" | bc)")
            read -r category suggestion < <(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = (d.get("suggested_settings") or [{}])[0]
print(d["category"], "%s/%s/%s" % (s.get("port", "-"), s.get("tls", "-"), "verified" if s.get("verified") else "-") if s else "-")')
        done
        sorted=$(printf '%s\n' "${times[@]}" | sort -n)
        min=$(echo "$sorted" | head -1)
        max=$(echo "$sorted" | tail -1)
        median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
        printf '%-28s %-13s %-18s %5s %8.3f %8.3f %8.3f  %s\n' "$name" "${extra:--}" "$category" "$code" "$min" "$median" "$max" "$suggestion"
    done
done
