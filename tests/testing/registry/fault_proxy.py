#!/usr/bin/python3
"""A fault-injecting reverse proxy for tests: plain HTTP in front of a plain
HTTP registry.

Requests are forwarded unchanged (the client's Host header included, so the
registry's Location URLs already name the proxy) and bodies are streamed both
ways in 64 KiB pieces. Hop-by-hop headers and Expect are not forwarded; a
chunked body is re-chunked. A Location header naming the backend is rewritten
to name the proxy.

Rules: POST /__faults with a JSON list replaces all rules (200 once in effect,
400 with a reason when malformed); GET /__faults returns them with what is left
of each. For every other request the first rule whose "method" (absent: any;
case-insensitive) equals the request's and whose "path_regex" (absent: any;
re.search over the path including the query) matches, and that has "times"
left (default 1; negative: forever), is used up once and applied:

  {"action": "status", "status": 503, "retry_after": 1, "body": "...",
   "headers": {"Name": "value"}}
      Reads and discards the request body, then answers `status` (with
      Retry-After when given; the body defaults to a registry-style JSON
      error). The registry never sees the request; the connection stays open.
  {"action": "cut", "after_bytes": N}
      Reads up to N bytes (default 0) of the request body, then resets the
      client connection (RST) without answering; the client sees a reset or a
      broken pipe. Nothing reaches the registry, so e.g. an upload session is
      left as it was.
  {"action": "cut_response", "after_bytes": N}
      Forwards the request, relays the registry's status line, headers
      (Content-Length included) and the first N bytes of its body, then closes
      the client connection (FIN, after those bytes), so the client sees a
      truncated body. The registry has served the request.
  {"action": "delay", "seconds": S}
      Waits S seconds (a float), then forwards the request normally.
  {"action": "endless", "status": 200, "headers": {"Name": "value"},
   "piece": "["}
      Reads and discards the request body, then answers `status` (default
      200) with a chunked body of `piece` repeated that does not end: it
      stops when the client goes away (or after 8 GiB). The registry never
      sees the request.

Each applied fault appends one line "METHOD PATH ACTION[ DETAIL]" to
--fault-log before the client sees its effect.

Binds 127.0.0.1:0 and writes the chosen port to --port-file once listening.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import socket
import struct
import sys
import threading
import time

CHUNK = 65536
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect"}
ACTIONS = {"status", "cut", "cut_response", "delay", "endless"}
ENDLESS_LIMIT = 8 << 30


class Rules:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def replace(self, rules):
        compiled = []
        if not isinstance(rules, list):
            raise ValueError("rules must be a JSON list")
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                raise ValueError(f"rule {i} is not an object")
            action = rule.get("action")
            if action not in ACTIONS:
                raise ValueError(f"rule {i}: unknown action {action!r}")
            if action == "status" and not isinstance(rule.get("status"), int):
                raise ValueError(f"rule {i}: status needs an integer \"status\"")
            try:
                regex = re.compile(rule.get("path_regex", ""))
            except re.error as e:
                raise ValueError(f"rule {i}: bad path_regex: {e}") from e
            compiled.append({"rule": rule, "regex": regex, "left": int(rule.get("times", 1))})
        with self._lock:
            self._rules = compiled

    def take(self, method, path):
        with self._lock:
            for entry in self._rules:
                rule = entry["rule"]
                if entry["left"] == 0:
                    continue
                if "method" in rule and rule["method"].upper() != method:
                    continue
                if not entry["regex"].search(path):
                    continue
                if entry["left"] > 0:
                    entry["left"] -= 1
                return rule
        return None

    def describe(self):
        with self._lock:
            return [dict(e["rule"], left=e["left"]) for e in self._rules]


class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Clients (skopeo, curl, cook) retry on refusal; a deep backlog avoids it.
    request_queue_size = 64


def make_handler(args, rules, proxy_base):
    backend_host, _, backend_port = args.backend.rpartition(":")
    backend_bases = [f"http://{args.backend}", f"http://localhost:{backend_port}"]
    log_lock = threading.Lock()

    def log_fault(line):
        with log_lock, open(args.fault_log, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("fault_proxy: " + (fmt % a) + "\n")

        # The request body, decoded, in pieces of at most CHUNK bytes.
        def body_pieces(self, limit=None):
            remaining = limit
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return
                    while size > 0:
                        n = min(size, CHUNK)
                        if remaining is not None:
                            if remaining <= 0:
                                return
                            n = min(n, remaining)
                        data = self.rfile.read(n)
                        if not data:
                            return
                        size -= len(data)
                        if remaining is not None:
                            remaining -= len(data)
                        yield data
                    self.rfile.readline()
            else:
                length = int(self.headers.get("Content-Length", "0") or "0")
                if remaining is not None:
                    length = min(length, remaining)
                while length > 0:
                    data = self.rfile.read(min(length, CHUNK))
                    if not data:
                        return
                    length -= len(data)
                    yield data

        def reset_connection(self):
            """Aborts with RST; anything not yet delivered is dropped."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()

        def end_connection(self):
            """Closes after what was written is delivered (FIN)."""
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        def send_simple(self, status, body, headers=()):
            data = body.encode() if isinstance(body, str) else body
            self.send_response_only(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def control(self):
            if self.command == "POST":
                try:
                    rules.replace(json.loads(b"".join(self.body_pieces())))
                except (ValueError, TypeError) as e:
                    self.send_simple(400, str(e), [("Content-Type", "text/plain")])
                    return
            self.send_simple(200, json.dumps(rules.describe()),
                             [("Content-Type", "application/json")])

        def handle_any(self):
            if self.path.split("?")[0] == "/__faults":
                self.control()
                return
            rule = rules.take(self.command, self.path)
            action = rule["action"] if rule else None
            where = f"{self.command} {self.path}"
            if action == "status":
                for _ in self.body_pieces():
                    pass
                status = rule["status"]
                headers = [("Content-Type", "application/json")]
                if "retry_after" in rule:
                    headers.append(("Retry-After", str(rule["retry_after"])))
                headers += list(rule.get("headers", {}).items())
                body = rule.get("body", json.dumps({"errors": [{
                    "code": "UNAVAILABLE", "message": "injected by fault_proxy"}]}))
                log_fault(f"{where} status {status}")
                self.send_simple(status, body, headers)
                return
            if action == "cut":
                limit = int(rule.get("after_bytes", 0))
                read = sum(len(p) for p in self.body_pieces(limit))
                log_fault(f"{where} cut after {read} bytes")
                self.reset_connection()
                return
            if action == "endless":
                for _ in self.body_pieces():
                    pass
                status = int(rule.get("status", 200))
                log_fault(f"{where} endless {status}")
                self.send_response_only(status)
                for name, value in rule.get("headers", {}).items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                piece = (rule.get("piece") or "x").encode()
                piece = piece * max(1, CHUNK // len(piece))
                chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
                sent = 0
                try:
                    while sent < ENDLESS_LIMIT:
                        self.wfile.write(chunk)
                        sent += len(piece)
                except OSError:
                    pass
                self.close_connection = True
                return
            if action == "delay":
                log_fault(f"{where} delay {rule.get('seconds', 0)}")
                time.sleep(float(rule.get("seconds", 0)))
            cut_after = int(rule.get("after_bytes", 0)) if action == "cut_response" else None
            self.forward(where, cut_after)

        def forward(self, where, cut_after):
            conn = http.client.HTTPConnection(backend_host, int(backend_port), timeout=300)
            try:
                conn.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
                dropped = HOP_BY_HOP | {h.strip().lower() for h in
                                        self.headers.get("Connection", "").split(",")}
                for name, value in self.headers.items():
                    if name.lower() not in dropped:
                        conn.putheader(name, value)
                chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
                if chunked:
                    conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for piece in self.body_pieces():
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                if chunked:
                    conn.send(b"0\r\n\r\n")
                resp = conn.getresponse()
                self.relay(resp, where, cut_after)
            except (OSError, http.client.HTTPException) as e:
                self.log_message("forwarding %s failed: %s", where, e)
                self.close_connection = True
            finally:
                conn.close()

        def relay(self, resp, where, cut_after):
            self.send_response_only(resp.status, resp.reason)
            response_dropped = HOP_BY_HOP | {h.strip().lower() for h in
                                             (resp.getheader("Connection") or "").split(",")}
            for name, value in resp.getheaders():
                if name.lower() in response_dropped:
                    continue
                if name.lower() == "location":
                    for base in backend_bases:
                        if value.startswith(base):
                            value = proxy_base + value[len(base):]
                self.send_header(name, value)
            has_body = self.command != "HEAD" and resp.status not in (204, 304) and \
                resp.status >= 200
            rechunk = has_body and resp.getheader("Content-Length") is None
            if rechunk:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            while has_body:
                data = resp.read1(CHUNK) if cut_after is None else \
                    resp.read1(min(CHUNK, cut_after - sent))
                if cut_after is not None and (not data or sent + len(data) >= cut_after):
                    if data:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if rechunk
                                         else data)
                        sent += len(data)
                    break
                if not data:
                    if rechunk:
                        self.wfile.write(b"0\r\n\r\n")
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if rechunk else data)
                sent += len(data)
            if cut_after is not None:
                log_fault(f"{where} cut_response after {sent} bytes")
                self.end_connection()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--backend", required=True, help="HOST:PORT of the plain HTTP registry")
    p.add_argument("--fault-log", required=True)
    args = p.parse_args()

    rules = Rules()
    server = ProxyServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.RequestHandlerClass = make_handler(args, rules, f"http://127.0.0.1:{port}")
    open(args.fault_log, "a", encoding="utf-8").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(port))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
