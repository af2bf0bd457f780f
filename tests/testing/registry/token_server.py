#!/usr/bin/python3
"""A Docker-style token server for tests (distribution's "token" auth).

GET /token?service=S&scope=T:NAME:ACTIONS[&scope=...] with HTTP Basic auth
answers {"token", "access_token", "expires_in": 300, "issued_at"}: an RS256 JWT
whose x5c header holds the signing certificate (self-signed, and itself the
registry's rootcertbundle) and whose "access" claim grants every requested
action. Wrong or missing credentials get 401 with a Basic challenge. Anything
but GET /token gets 404.

Faults: POST /__faults {"status": 503, "times": N} makes the next N GET /token
requests answer `status` (with a registry-style JSON error; not logged);
GET /__faults answers {"status", "left"} (how many are left).

Every /token request is appended to --log as one JSON line:
  {"account": USER, "service": S, "scopes": [...], "granted": true|false}
(USER as presented, also when refused; "" without Basic credentials)
written before the response is sent.

Binds 127.0.0.1:0 and writes the chosen port to --port-file once listening
(written to a temporary name, then renamed). Serves HTTPS when --tls-cert and
--tls-key are given, plain HTTP otherwise.

Runs with Debian's python3 (needs python3-jwt and python3-cryptography).
"""

import argparse
import base64
import binascii
import datetime
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

TOKEN_LIFETIME = 300


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--signing-key", required=True)
    p.add_argument("--signing-cert", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    return p.parse_args()


def parse_scope(scope):
    """Splits "repository:name:pull,push"; the name itself may hold colons."""
    first = scope.find(":")
    last = scope.rfind(":")
    if first < 0 or first == last:
        return None
    actions = [a for a in scope[last + 1:].split(",") if a]
    return {"type": scope[:first], "name": scope[first + 1:last], "actions": actions}


class TokenServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_handler(args, key_pem, cert_der_b64):
    log_lock = threading.Lock()
    faults_lock = threading.Lock()
    faults = {"status": 503, "left": 0}

    def take_fault():
        with faults_lock:
            if faults["left"] <= 0:
                return None
            faults["left"] -= 1
            return faults["status"]

    def log_request(entry):
        with log_lock, open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("token_server: " + (fmt % a) + "\n")

        def send_json(self, status, body, extra_headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def credentials(self):
            """Returns (user name presented, whether user and password match)."""
            header = self.headers.get("Authorization", "")
            if not header.lower().startswith("basic "):
                return "", False
            try:
                user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return "", False
            return user, user == args.username and password == args.password

        def do_POST(self):
            if urllib.parse.urlsplit(self.path).path != "/__faults":
                self.send_json(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length", "0") or "0")
            try:
                rule = json.loads(self.rfile.read(length))
                status, times = int(rule.get("status", 503)), int(rule["times"])
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                self.send_json(400, {"error": str(e)})
                return
            with faults_lock:
                faults.update(status=status, left=times)
                self.send_json(200, dict(faults))

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/__faults":
                with faults_lock:
                    self.send_json(200, dict(faults))
                return
            if url.path != "/token":
                self.send_json(404, {"error": "not found"})
                return
            fault = take_fault()
            if fault is not None:
                self.send_json(fault, {"errors": [{"code": "UNAVAILABLE",
                                                   "message": "injected by token_server"}]})
                return
            query = urllib.parse.parse_qs(url.query)
            service = query.get("service", [""])[0]
            scopes = [s for param in query.get("scope", []) for s in param.split(" ") if s]
            account, granted = self.credentials()
            log_request({"account": account, "service": service,
                         "scopes": scopes, "granted": granted})
            if not granted:
                self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "authentication required"}]},
                               [("WWW-Authenticate", 'Basic realm="cook-test-token"')])
                return
            now = int(time.time())
            access = [a for a in (parse_scope(s) for s in scopes) if a is not None]
            claims = {
                "iss": args.issuer,
                "sub": account,
                "aud": service,
                "exp": now + TOKEN_LIFETIME,
                "nbf": now - 10,
                "iat": now,
                "jti": uuid.uuid4().hex,
                "access": access,
            }
            token = jwt.encode(claims, key_pem, algorithm="RS256",
                               headers={"x5c": [cert_der_b64]})
            issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            self.send_json(200, {"token": token, "access_token": token,
                                 "expires_in": TOKEN_LIFETIME,
                                 "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ")})

    return Handler


def main():
    args = parse_args()
    with open(args.signing_key, "rb") as f:
        key_pem = f.read()
    with open(args.signing_cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    cert_der_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    server = TokenServer(("127.0.0.1", 0), make_handler(args, key_pem, cert_der_b64))
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
