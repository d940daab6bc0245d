#!/usr/bin/env bash
# Batch benchmark: smtp-doctor --batch against a swaks loop and a curl loop,
# on the interop harness's servers on loopback. One command:
#
#   bash benches/batch.sh            # N = 100 and 1000 (about 10 minutes: the loops are slow)
#   bash benches/batch.sh 100        # other sizes
#   LOOP_MAX=100 bash benches/batch.sh   # run the swaks/curl loops on at most 100 accounts
#
# Needs root for a harness of its own (apt-get for `time`, `swaks`; up.sh).
# If something already listens on 127.0.0.1:10587 and :11008 (another
# engineer's harness), it is reused; else ../shared/harness is copied to
# /tmp/harness and started there. Prints, per tool and N: wall time,
# checks/s, peak RSS (/usr/bin/time -v; for a loop: its largest process),
# AUTH commands sent per account (from each tool's own transcript, and
# server-side from the emulator's log), and whether every verdict is right;
# then smtp-doctor's per-stage times against a minimal raw SMTP client
# (Python: TCP, greeting, EHLO, STARTTLS, TLS handshake, EHLO, AUTH) on the
# same ports, one session at a time.
#
# Accounts: 2 on Postfix 10587 (localhost) and 2 on [::1]:10587 (alice, bob,
# right password), alice and bob on the emulator 127.0.0.1:11008 (right
# password), then unique bench users alternately on 127.0.0.1:11001 (Gmail
# emulation: the app password is accepted for any user -> ok) and on
# 127.0.0.1:11008 (unknown user -> 535 at once -> wrong-credentials).
# Dovecot wrong-password cases are avoided: it delays failures by 2 s on purpose.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000)
LOOP_MAX=${LOOP_MAX:-1000000}
JOBS=${JOBS:-32}
PER_HOST=${PER_HOST:-32}
RAW_N=${RAW_N:-200}
RUN_ID=$(date +%s)-$$
WORK=$(mktemp -d /tmp/smtp-doctor-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

log() { printf '%s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------
need_pkg() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2 (apt-get)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
[ -x /usr/bin/time ] || { log "installing time (apt-get)"; apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
need_pkg python3 python3
need_pkg curl curl

# --- harness ------------------------------------------------------------------
listening() { ss -ltn 2>/dev/null | grep -q "127.0.0.1:$1 "; }
HARNESS=${SMTP_DOCTOR_HARNESS:-}
if listening 10587 && listening 11008 && listening 11001; then
    for h in "$HARNESS" /tmp/harness "$ROOT/../shared/harness"; do
        if [ -n "$h" ] && [ -f "$h/run/certs/ca.pem" ]; then HARNESS=$h; break; fi
    done
    log "reusing the harness already running (CA: $HARNESS/run/certs/ca.pem)"
else
    [ -n "$HARNESS" ] || { HARNESS=/tmp/harness; rm -rf /tmp/harness; cp -a "$ROOT/../shared/harness" /tmp/harness; chmod -R a+rX /tmp/harness; }
    log "starting the harness in $HARNESS"
    "$HARNESS/up.sh" >&2
fi
CA=$HARNESS/run/certs/ca.pem
EMU_LOG=$HARNESS/run/node/emulators.log
[ -f "$CA" ] || { log "no CA at $CA"; exit 1; }
need_pkg swaks swaks

# --- build ------------------------------------------------------------------
log "building smtp-doctor (release)"
(cd "$ROOT" && cargo build --release --quiet)
BIN=$ROOT/target/release/smtp-doctor

# --- accounts -----------------------------------------------------------------
export BENCH_ALICE='correct horse' BENCH_BOB='Tr0ub4dor&3' BENCH_APP='abcdefghijklmnop' BENCH_WRONG='wrong-bench-password'
# make_accounts N: writes $WORK/N.csv (batch file) and $WORK/N.tsv
# (host port user password-env expected) for the loops.
make_accounts() {
    local n=$1 csv=$WORK/$1.csv tsv=$WORK/$1.tsv i user
    echo "address,host,port,password_env,expect" >"$csv"
    : >"$tsv"
    add() { echo "$3,$1,$2,$4,$5" >>"$csv"; printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$tsv"; }
    add localhost 10587 alice@example.test BENCH_ALICE ok
    add localhost 10587 bob@example.test BENCH_BOB ok
    add ::1 10587 alice@example.test BENCH_ALICE ok
    add ::1 10587 bob@example.test BENCH_BOB ok
    add 127.0.0.1 11008 alice@example.test BENCH_ALICE ok
    add 127.0.0.1 11008 bob@example.test BENCH_BOB ok
    for ((i = 7; i <= n; i++)); do
        user=bench-$RUN_ID-$n-$i@example.test
        if ((i % 2)); then add 127.0.0.1 11001 "$user" BENCH_APP ok
        else add 127.0.0.1 11008 "$user" BENCH_WRONG wrong-credentials; fi
    done
    chmod 600 "$csv"
}

# server_auths TAG: AUTH commands the emulators logged for this run's users with TAG.
server_auths() { grep -c "user=bench-$RUN_ID-$1-" "$EMU_LOG" 2>/dev/null || true; }

rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }

RESULTS=$WORK/results.tsv
: >"$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

run_smtp_doctor() {
    local n=$1 out=$WORK/sd-$n.jsonl tv=$WORK/sd-$n.time
    /usr/bin/time -v -o "$tv" "$BIN" check --batch "$WORK/$n.csv" --cafile "$CA" --format json \
        --jobs "$JOBS" --per-host "$PER_HOST" >"$out" 2>"$WORK/sd-$n.err" || true
    local checks correct auths wall
    checks=$(grep -c '"target":' "$out" || true)
    # A verdict is right when each document's category is its expected one.
    correct=$(grep -c '"expect":{"category":"[a-z-]*","met":true}' "$out" || true)
    auths=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    for ep in d.get("endpoints", []):
        n += sum(1 for s in ep["stages"] if s["stage"] == "auth")
print(n)' "$out")
    wall=$(wall_s "$tv")
    record smtp-doctor "$n" "$n" "$wall" "$(rss_kb "$tv")" "$auths" "$(server_auths "$n")" "$correct/$checks"
    tail -n 1 "$out" >"$WORK/sd-$n.summary"
}

# A loop of one process per account (TSV rows), under /usr/bin/time.
run_loop() {
    local tool=$1 n=$2 m=$3 tv=$WORK/$1-$2.time
    head -n "$m" "$WORK/$n.tsv" | sed "s/bench-$RUN_ID-$n-/bench-$RUN_ID-$tool$n-/" >"$WORK/$tool-$n.tsv"
    /usr/bin/time -v -o "$tv" bash -c '
        tool=$1 ca=$2 out=$3
        : >"$out"
        while IFS=$'"'\t'"' read -r host port user envname expected; do
            pw=${!envname}
            url_host=$host; [[ $host == *:* ]] && url_host="[$host]"
            if [ "$tool" = swaks ]; then
                t=$(swaks --server "$host" --port "$port" --tls --quit-after AUTH \
                    --auth-user "$user" --auth-password "$pw" --to postmaster@example.test 2>&1); rc=$?
                auths=$(grep -cE "^ *[~-]> AUTH " <<<"$t")
                case $rc in 0) got=ok ;; 28) got=wrong-credentials ;; *) got=other-$rc ;; esac
            else
                t=$(curl -sv --ssl-reqd --cacert "$ca" -u "$user:$pw" -X NOOP "smtp://$url_host:$port" 2>&1); rc=$?
                auths=$(grep -cE "^> AUTH " <<<"$t")
                case $rc in 0) got=ok ;; 67) got=wrong-credentials ;; *) got=other-$rc ;; esac
            fi
            printf "%s\t%s\t%s\n" "$expected" "$got" "$auths" >>"$out"
        done <"$4"' _ "$tool" "$CA" "$WORK/$tool-$n.out" "$WORK/$tool-$n.tsv"
    local correct auths
    correct=$(awk -F'\t' '$1==$2' "$WORK/$tool-$n.out" | wc -l)
    auths=$(awk -F'\t' '{s+=$3} END {print s+0}' "$WORK/$tool-$n.out")
    record "$tool loop" "$n" "$m" "$(wall_s "$tv")" "$(rss_kb "$tv")" "$auths" "$(server_auths "$tool$n")" "$correct/$m"
}

for n in "${SIZES[@]}"; do
    make_accounts "$n"
    m=$((n < LOOP_MAX ? n : LOOP_MAX))
    log "N=$n: smtp-doctor --batch (--jobs $JOBS --per-host $PER_HOST)"
    run_smtp_doctor "$n"
    log "N=$n: swaks loop ($m accounts)"
    run_loop swaks "$n" "$m"
    log "N=$n: curl loop ($m accounts)"
    run_loop curl "$n" "$m"
done

# --- the floor: one session at a time, per stage -------------------------------
log "per-stage floor: $RAW_N raw sessions per port vs smtp-doctor --jobs 1"
FLOOR=$WORK/floor.txt
python3 - "$CA" "$RAW_N" >"$FLOOR" <<'PY'
import base64, socket, ssl, sys, time
ca, n = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=ca)
def reply(f):
    while True:
        line = f.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line
def session(host, port, user, pw):
    t = {}
    s0 = time.perf_counter()
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t["connect"] = time.perf_counter() - s0
    f = sock.makefile("rb")
    s = time.perf_counter(); reply(f); t["greeting"] = time.perf_counter() - s
    s = time.perf_counter(); sock.sendall(b"EHLO localhost\r\n"); reply(f); e1 = time.perf_counter() - s
    s = time.perf_counter(); sock.sendall(b"STARTTLS\r\n"); reply(f); t["starttls"] = time.perf_counter() - s
    s = time.perf_counter(); tls = ctx.wrap_socket(sock, server_hostname=host); t["tls"] = time.perf_counter() - s
    f = tls.makefile("rb")
    s = time.perf_counter(); tls.sendall(b"EHLO localhost\r\n"); reply(f); t["ehlo"] = e1 + time.perf_counter() - s
    blob = base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode())
    s = time.perf_counter(); tls.sendall(b"AUTH PLAIN " + blob + b"\r\n"); code = reply(f)[:3]; t["auth"] = time.perf_counter() - s
    tls.sendall(b"QUIT\r\n"); reply(f); tls.close()
    t["total"] = time.perf_counter() - s0
    return t
# Like the smtp-doctor run below: unknown users refused at once on 11008
# (535), alice/bob accepted by Postfix on 10587.
for host, port in (("127.0.0.1", 11008), ("localhost", 10587)):
    acc = {}
    for i in range(n):
        user, pw = (f"raw-{i}@example.test", "wrong") if port == 11008 else ("alice@example.test", "correct horse")
        for k, v in session(host, port, user, pw).items():
            acc[k] = acc.get(k, 0) + v
    print(f"{host}:{port}\t" + "\t".join(f"{k}={1000*v/n:.2f}" for k, v in acc.items()))
PY
for hp in "127.0.0.1 11008" "localhost 10587"; do
    set -- $hp
    f=$WORK/seq-$2.csv
    echo "address,host,port,password_env" >"$f"
    for ((i = 1; i <= RAW_N; i++)); do echo "seq-$RUN_ID-$i@example.test,$1,$2,BENCH_WRONG" >>"$f"; done
    # Same account once per run is the rule, so the sequential run uses unknown
    # users (11008 refuses at once; Postfix/Dovecot would delay 2 s, so alice/bob there).
    if [ "$2" = 10587 ]; then
        echo "address,host,port,password_env" >"$f"
        for h in localhost 127.0.0.1 ::1; do
            echo "alice@example.test,$h,$2,BENCH_ALICE" >>"$f"; echo "bob@example.test,$h,$2,BENCH_BOB" >>"$f"
        done
    fi
    chmod 600 "$f"
    { "$BIN" check --batch "$f" --cafile "$CA" --format json --jobs 1 --per-host 1 || true; } | tail -n 1 >"$WORK/seq-$2.summary"
done

# --- report -------------------------------------------------------------------
echo "## Machine"
echo
echo "- $(nproc) cores: $(lscpu 2>/dev/null | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
echo "- memory: $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr); $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "- smtp-doctor $("$BIN" --version | awk '{print $2}') (release build), $(swaks --version 2>&1 | head -n1), $(curl --version | head -n1 | awk '{print $1, $2}')"
echo "- smtp-doctor --jobs $JOBS --per-host $PER_HOST; harness: Postfix 3.7 + Dovecot (10587), Node smtp-server emulators (11001, 11008)"
echo
echo "## Batch"
echo
echo "| tool | N | accounts run | wall | checks/s | peak RSS | AUTH per account (client) | AUTH per account (server log) | right verdicts |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '{
    cps = ($4 > 0) ? $3 / $4 : 0
    emu = $3 - 6; if (emu < 1) emu = 1
    printf "| %s | %d | %d | %.2f s | %.1f | %.1f MB | %.2f | %.2f | %s |\n", $1, $2, $3, $4, cps, $5 / 1024, $6 / $3, $7 / emu, $8
}' "$RESULTS"
echo
echo "(The server-side column counts AUTH commands the emulators logged for the run's bench users; the 4 Postfix and 2 alice/bob emulator accounts are not in it.)"
for n in "${SIZES[@]}"; do
    sd=$(awk -F'\t' -v n="$n" '$1=="smtp-doctor" && $2==n {print $3/$4}' "$RESULTS")
    for tool in "swaks loop" "curl loop"; do
        other=$(awk -F'\t' -v n="$n" -v t="$tool" '$1==t && $2==n {print $3/$4}' "$RESULTS")
        [ -n "$other" ] && awk -v a="$sd" -v b="$other" -v n="$n" -v t="$tool" 'BEGIN {printf "- N=%d: smtp-doctor is %.1fx faster than the %s (checks/s)\n", n, a/b, t}'
    done
done
echo
echo "## smtp-doctor summary lines"
echo
for n in "${SIZES[@]}"; do echo '```'; cat "$WORK/sd-$n.summary"; echo '```'; done
echo
echo "## Per stage, one session at a time (ms, mean)"
echo
echo "Raw client (Python, $RAW_N sessions per port):"
echo '```'; cat "$FLOOR"; echo '```'
echo "smtp-doctor --jobs 1 --per-host 1 (11008: $RAW_N accounts; 10587: 6 accounts):"
for p in 11008 10587; do
    echo '```'
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(sys.argv[2], "check_mean_ms=%.2f" % s["check_mean_ms"], " ".join("%s=%.2f" % kv for kv in s["stage_mean_ms"].items()))' "$WORK/seq-$p.summary" "$p"
    echo '```'
done
