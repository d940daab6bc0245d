#!/usr/bin/env python3
"""Peak memory and time of smtp-doctor against hostile SMTP servers.

Starts each hostile server on 127.0.0.1 (an endless line without CRLF, an
endless `250-` reply, a one-byte-per-second drip, binary garbage), runs the
smtp-doctor binary against it, and prints wall time, peak RSS (GNU time's %M), the bytes the server pushed before the client gave up, and the
category. Loopback only; every server stops by itself.

Usage: python3 benches/hostile.py [path/to/smtp-doctor]   (default: target/release/smtp-doctor)
"""
import json
import os
import shutil
import tempfile
import socket
import subprocess
import sys
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "target", "release", "smtp-doctor")
LIMIT_S = 30  # every server stops after this long


def endless_line(conn, sent):
    chunk = b"2" * 65536
    while True:
        conn.sendall(chunk)
        sent[0] += len(chunk)


def endless_reply(conn, sent):
    conn.sendall(b"220 hostile ESMTP\r\n")
    conn.recv(1024)  # EHLO
    chunk = b"250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n" * 1024
    while True:
        conn.sendall(chunk)
        sent[0] += len(chunk)


def slow_drip(conn, sent):
    for b in b"220 slow ESMTP server at your service\r\n":
        conn.sendall(bytes([b]))
        sent[0] += 1
        time.sleep(1)


def garbage(conn, sent):
    data = os.urandom(1 << 20)
    while True:
        conn.sendall(data)
        sent[0] += len(data)


CASES = [
    ("endless line (no CRLF)", endless_line, 5),
    ("endless 250- reply", endless_reply, 5),
    ("slow drip, 1 byte/s", slow_drip, 3),
    ("binary garbage", garbage, 5),
]


def serve(handler, ready, sent, port_box):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(LIMIT_S)
    port_box.append(srv.getsockname()[1])
    ready.set()
    try:
        conn, _ = srv.accept()
        conn.settimeout(LIMIT_S)
        try:
            handler(conn, sent)
        except OSError:
            pass  # the client hung up: that is the point
        finally:
            conn.close()
    except OSError:
        pass
    finally:
        srv.close()


def run_case(name, handler, timeout):
    ready, sent, port_box = threading.Event(), [0], []
    t = threading.Thread(target=serve, args=(handler, ready, sent, port_box), daemon=True)
    t.start()
    ready.wait()
    env = dict(os.environ, SMTP_DOCTOR_PASSWORD="bench-secret")
    started = time.monotonic()
    # GNU time reports the peak RSS of the program itself; wait4's figure
    # would include the forked Python interpreter before exec.
    rss_file = tempfile.NamedTemporaryFile(delete=False)
    proc = subprocess.Popen(
        [TIME, "-f", "%M", "-o", rss_file.name, BIN, "check", "bench@example.test", "--host", "127.0.0.1", "--port", str(port_box[0]),
         "--tls", "starttls", "--timeout", str(timeout), "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    out = proc.stdout.read()
    status = proc.wait()
    elapsed = time.monotonic() - started
    with open(rss_file.name) as f:
        rss_mb = int(f.read().strip().splitlines()[-1]) / 1024  # KiB
    os.unlink(rss_file.name)
    try:
        category = json.loads(out)["category"]
    except (ValueError, KeyError):
        category = "<no JSON>"
    print(f"{name:<26} {elapsed:6.2f} s  peak RSS {rss_mb:6.1f} MB  server sent {sent[0]/1e6:8.2f} MB  "
          f"exit {status}  {category}")
    return rss_mb


TIME = shutil.which("time", path="/usr/bin") or ""


def main():
    if not TIME:
        sys.exit("GNU time is needed for peak RSS: apt-get install time")
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found: build it first (cargo build --release)")
    print(f"binary: {os.path.realpath(BIN)}")
    worst = max(run_case(*c) for c in CASES)
    print(f"worst peak RSS: {worst:.1f} MB (budget: 20 MB)")


if __name__ == "__main__":
    main()
