#!/usr/bin/env python3
"""A small HTTP server for http_test.cc (standard library only).

Listens on 127.0.0.1, on a free port, prints the port on stdout and serves
until its stdin closes (so it never outlives the test). With --tls-cert and
--tls-key it speaks HTTPS.

Paths (any method):
  /echo...                 200, JSON: method, path, headers, body_hex,
                           client_port (the client's source port)
  /bytes?n=N               200, N bytes (byte i is i % 251)
  /status?code=C           C, body "status C"
  /redirect?to=URL&code=C  C (default 302), Location: URL
  /chain?n=N               N > 0: 302 to the relative "chain?n=N-1&k=v";
                           N = 0: /echo
  /cut                     promises 1000 bytes, sends 10, closes
  /stall                   promises 1000000 bytes, sends 10, then waits
  /endless?code=C          C (default 200), a chunked body that does not end
                           (until the client goes, or 4 GiB)
  /endless-headers         200 with header lines that do not end (until the
                           client goes, or 4 GiB)
"""

import argparse
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def log_message(self, format, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length)

    def respond(self, code, body, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        body = self.read_body()
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path.startswith("/echo"):
            echo = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_hex": body.hex(),
                "client_port": self.client_address[1],
            }
            self.respond(200, json.dumps(echo).encode(),
                         [("Content-Type", "application/json"),
                          ("X-Echo-Method", self.command)])
        elif url.path == "/bytes":
            n = int(query.get("n", "0"))
            self.respond(200, bytes(i % 251 for i in range(n)),
                         [("Content-Type", "application/octet-stream")])
        elif url.path == "/status":
            code = int(query["code"])
            self.respond(code, b"status %d" % code)
        elif url.path == "/redirect":
            self.respond(int(query.get("code", "302")), b"",
                         [("Location", query["to"])])
        elif url.path == "/chain":
            n = int(query["n"])
            location = "chain?n=%d&k=v" % (n - 1) if n > 0 else "/echo?from=chain"
            self.respond(302, b"", [("Location", location)])
        elif url.path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
        elif url.path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
        elif url.path == "/endless":
            self.send_response(int(query.get("code", "200")))
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            piece = b"[" * 65536
            chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
            try:
                for _ in range(65536):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
        elif url.path == "/endless-headers":
            self.send_response(200)
            try:
                for i in range(4 << 20):
                    self.send_header("X-Filler-%d" % i, "f" * 1000)
                    if i % 64 == 0:
                        self.flush_headers()
            except OSError:
                pass
            self.close_connection = True
        else:
            self.respond(404, b"no such path")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.buffer.read()  # until the test closes our stdin or exits
    os._exit(0)


if __name__ == "__main__":
    main()
