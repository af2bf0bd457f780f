#!/usr/bin/python3
"""An independent implementation of cosign's `.sig`-tag signatures, for tests.

It shares no code with cook: the Python standard library for HTTP and JSON,
the `openssl` command line for every cryptographic operation. What cook signs
must verify here, and what this signs must verify with cook.

  cosign_sig.py sign   --key KEY.pem [--identity ID] [OPTIONS] REF
  cosign_sig.py verify --key PUB.pem [--key PUB2.pem ...] [OPTIONS] REF
  cosign_sig.py sig-manifest [OPTIONS] REF       # the raw .sig manifest
  cosign_sig.py copy-sig [OPTIONS] SRC DEST       # the .sig manifest of SRC's
                                                  # digest, as is, to the .sig
                                                  # tag of DEST's digest

REF is docker://HOST:PORT/REPO[:TAG] (HTTPS; --ca FILE trusts a CA,
--user USER:PASS sends Basic credentials and answers a Bearer challenge with
them, --plain-http speaks HTTP) or oci:DIR[:TAG] (an OCI image layout).

The format (cosign pkg/oci, pkg/cosign; sigstore pkg/signature/payload):
  payload  {"critical":{"identity":{"docker-reference":ID},"image":
           {"docker-manifest-digest":"sha256:HEX"},"type":"cosign container
           image signature"},"optional":null}  (compact, no newline)
           ID = HOST:PORT/REPO for a registry, "oci:" + realpath(DIR) for a
           layout.
  layer    the payload blob, media type application/vnd.dev.cosign.
           simplesigning.v1+json, annotation dev.cosignproject.cosign/
           signature = base64 of the DER ECDSA-SHA256 signature of the blob.
  manifest an OCI image manifest under the tag sha256-HEX.sig of the same
           repository (in a layout: the index.json entry whose
           org.opencontainers.image.ref.name is that tag).
`sign --identity ID` puts ID in the payload instead (cosign's
--sign-container-identity). Signing appends a layer to an existing .sig manifest, unless a layer with the
same payload already verifies with the signer's key (cosign's dedupe).

Exit status: 0 ok, 1 verification failed (or no signature), 2 usage or any
other error; one line on stderr. `verify` prints "verified by KEYFILE".
"""

import argparse
import base64
import hashlib
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
REF_NAME = "org.opencontainers.image.ref.name"
PAYLOAD_TYPE = "cosign container image signature"
ZERO_TIME = "0001-01-01T00:00:00Z"


class Failure(Exception):
    """Verification failed: exit 1."""


class Error(Exception):
    """Usage or any other error: exit 2."""


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def sig_tag(digest):
    return digest.replace(":", "-") + ".sig"


# ---------------------------------------------------------------- openssl


def openssl(args, stdin):
    result = subprocess.run(["openssl"] + args, input=stdin, capture_output=True)
    return result


def sign_bytes(key, data):
    result = openssl(["dgst", "-sha256", "-sign", key], data)
    if result.returncode != 0:
        raise Error("signing with %s: %s" % (key, first_line(result.stderr)))
    return result.stdout


def verify_bytes(pub, data, signature):
    with tempfile.NamedTemporaryFile() as sig_file:
        sig_file.write(signature)
        sig_file.flush()
        result = openssl(["dgst", "-sha256", "-verify", pub, "-signature", sig_file.name], data)
    if result.returncode == 0:
        return True
    if b"Verification failure" in result.stdout + result.stderr:
        return False
    if not os.path.exists(pub):
        raise Error("reading %s: no such file" % pub)
    # A malformed signature or an unreadable key: not a valid signature.
    return False


def public_key_of(key, directory):
    pub = os.path.join(directory, "signer.pub")
    result = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub],
                            capture_output=True)
    if result.returncode != 0:
        raise Error("reading %s: %s" % (key, first_line(result.stderr)))
    return pub


def first_line(data):
    text = data.decode(errors="replace").strip()
    return text.splitlines()[0] if text else "(no message)"


# ---------------------------------------------------------------- registry


class Registry:
    """The few distribution API calls the signatures need."""

    def __init__(self, host, repo, ca, user, plain_http):
        self.base = ("http://" if plain_http else "https://") + host
        self.repo = repo
        self.user = user
        self.token = None
        self.context = ssl.create_default_context(cafile=ca) if ca else None

    def request(self, method, path, headers=None, body=None, retry=True):
        url = path if path.startswith("http") else self.base + path
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        elif self.user:
            headers["Authorization"] = "Basic " + base64.b64encode(self.user.encode()).decode()
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, resp_headers, data = e.code, e.headers, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise Error("%s %s: %s" % (method, url, e))
        challenge = resp_headers.get("WWW-Authenticate", "")
        if status == 401 and retry and challenge.lower().startswith("bearer "):
            self.token = self.fetch_token(challenge)
            return self.request(method, path, headers, body, retry=False)
        return status, resp_headers, data

    def fetch_token(self, challenge):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        if "realm" not in params:
            raise Error("bearer challenge without realm: %s" % challenge)
        query = {"scope": "repository:%s:pull,push" % self.repo}
        if "service" in params:
            query["service"] = params["service"]
        url = params["realm"] + "?" + urllib.parse.urlencode(query)
        headers = {}
        if self.user:
            headers["Authorization"] = "Basic " + base64.b64encode(self.user.encode()).decode()
        req = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as resp:
                answer = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise Error("getting a token from %s: %s" % (params["realm"], e))
        return answer.get("token") or answer.get("access_token")

    def get_manifest(self, reference):
        """(bytes, digest) of a manifest, or None when the registry has none."""
        accept = ", ".join([OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_LIST])
        status, headers, body = self.request(
            "GET", "/v2/%s/manifests/%s" % (self.repo, reference), {"Accept": accept})
        if status == 404:
            return None
        if status != 200:
            raise Error("GET manifest %s:%s: HTTP %d" % (self.repo, reference, status))
        digest = sha256_digest(body)
        claimed = headers.get("Docker-Content-Digest")
        if claimed and claimed != digest:
            raise Error("manifest %s:%s: body is %s, registry says %s"
                        % (self.repo, reference, digest, claimed))
        return body, digest

    def get_blob(self, digest):
        status, _, body = self.request("GET", "/v2/%s/blobs/%s" % (self.repo, digest))
        if status != 200:
            raise Error("GET blob %s in %s: HTTP %d" % (digest, self.repo, status))
        return body

    def put_blob(self, data):
        digest = sha256_digest(data)
        status, _, _ = self.request("HEAD", "/v2/%s/blobs/%s" % (self.repo, digest))
        if status == 200:
            return digest
        status, headers, _ = self.request("POST", "/v2/%s/blobs/uploads/" % self.repo, body=b"")
        if status != 202 or not headers.get("Location"):
            raise Error("starting an upload to %s: HTTP %d" % (self.repo, status))
        location = urllib.parse.urljoin(self.base + "/", headers["Location"])
        separator = "&" if "?" in location else "?"
        status, _, _ = self.request(
            "PUT", location + separator + urllib.parse.urlencode({"digest": digest}),
            {"Content-Type": "application/octet-stream"}, data)
        if status != 201:
            raise Error("uploading %s to %s: HTTP %d" % (digest, self.repo, status))
        return digest

    def put_manifest(self, tag, body, media_type):
        status, _, data = self.request("PUT", "/v2/%s/manifests/%s" % (self.repo, tag),
                                       {"Content-Type": media_type}, body)
        if status != 201:
            raise Error("PUT manifest %s:%s: HTTP %d %s"
                        % (self.repo, tag, status, first_line(data)))


# ---------------------------------------------------------------- oci layout


class Layout:
    """The same calls on an OCI image layout directory."""

    def __init__(self, directory):
        self.dir = directory

    def index(self):
        try:
            with open(os.path.join(self.dir, "index.json"), "rb") as f:
                return json.loads(f.read())
        except FileNotFoundError:
            return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        except ValueError as e:
            raise Error("reading %s/index.json: %s" % (self.dir, e))

    def blob_path(self, digest):
        algorithm, _, hexdigest = digest.partition(":")
        return os.path.join(self.dir, "blobs", algorithm, hexdigest)

    def get_manifest(self, reference):
        for entry in self.index().get("manifests", []):
            if entry.get("annotations", {}).get(REF_NAME) == reference:
                body = self.get_blob(entry["digest"])
                return body, entry["digest"]
        return None

    def get_blob(self, digest):
        try:
            with open(self.blob_path(digest), "rb") as f:
                data = f.read()
        except OSError as e:
            raise Error("reading blob %s: %s" % (digest, e))
        if sha256_digest(data) != digest:
            raise Error("blob %s in %s does not match its digest" % (digest, self.dir))
        return data

    def put_blob(self, data):
        digest = sha256_digest(data)
        path = self.blob_path(digest)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomically(path, data)
        return digest

    def put_manifest(self, tag, body, media_type):
        digest = self.put_blob(body)
        index = self.index()
        manifests = [e for e in index.get("manifests", [])
                     if e.get("annotations", {}).get(REF_NAME) != tag]
        manifests.append({"mediaType": media_type, "digest": digest, "size": len(body),
                          "annotations": {REF_NAME: tag}})
        index["manifests"] = manifests
        write_atomically(os.path.join(self.dir, "index.json"), compact(index))


def write_atomically(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".cosign_sig-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- references


def open_reference(ref, args):
    """(store, tag, identity) for REF."""
    if ref.startswith("docker://"):
        rest = ref[len("docker://"):]
        host, slash, path = rest.partition("/")
        if not slash or not path:
            raise Error("%s: expected docker://HOST[:PORT]/REPO[:TAG]" % ref)
        if "@" in path:
            raise Error("%s: a digest reference is not supported, give a tag" % ref)
        repo, tag = path, "latest"
        last = path.rfind(":")
        if last > path.rfind("/"):
            repo, tag = path[:last], path[last + 1:]
        store = Registry(host, repo, args.ca, args.user, args.plain_http)
        return store, tag, host + "/" + repo
    if ref.startswith("oci:"):
        rest = ref[len("oci:"):]
        directory, tag = rest, "latest"
        last = rest.rfind(":")
        if last > rest.rfind("/"):
            directory, tag = rest[:last], rest[last + 1:]
        if not directory:
            raise Error("%s: expected oci:DIR[:TAG]" % ref)
        return Layout(directory), tag, "oci:" + os.path.realpath(directory)
    raise Error("%s: expected docker://... or oci:..." % ref)


def resolve(store, tag, ref):
    found = store.get_manifest(tag)
    if found is None:
        raise Error("%s: no such manifest" % ref)
    return found[1]


def payload_for(identity, digest):
    return compact({
        "critical": {
            "identity": {"docker-reference": identity},
            "image": {"docker-manifest-digest": digest},
            "type": PAYLOAD_TYPE,
        },
        "optional": None,
    })


def sig_layers(store, digest):
    found = store.get_manifest(sig_tag(digest))
    if found is None:
        return []
    try:
        manifest = json.loads(found[0])
    except ValueError as e:
        raise Error("parsing %s: %s" % (sig_tag(digest), e))
    return manifest.get("layers", [])


def layer_signature(layer):
    try:
        return base64.b64decode(layer.get("annotations", {}).get(SIGNATURE_ANNOTATION, ""),
                                validate=True)
    except ValueError:
        return b""


def config_for(layers):
    return compact({
        "architecture": "",
        "created": ZERO_TIME,
        "history": [{"created": ZERO_TIME} for _ in layers],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        "config": {},
    })


# ---------------------------------------------------------------- commands


def cmd_sign(args):
    store, tag, identity = open_reference(args.ref, args)
    digest = resolve(store, tag, args.ref)
    payload = payload_for(args.identity or identity, digest)
    payload_digest = sha256_digest(payload)
    layers = sig_layers(store, digest)
    with tempfile.TemporaryDirectory() as scratch:
        pub = public_key_of(args.key[0], scratch)
        for layer in layers:
            if (layer.get("digest") == payload_digest
                    and layer.get("mediaType") == SIMPLE_SIGNING
                    and verify_bytes(pub, payload, layer_signature(layer))):
                print("already signed: %s" % sig_tag(digest))
                return 0
    signature = sign_bytes(args.key[0], payload)
    store.put_blob(payload)
    layers.append({
        "mediaType": SIMPLE_SIGNING,
        "size": len(payload),
        "digest": payload_digest,
        "annotations": {SIGNATURE_ANNOTATION: base64.b64encode(signature).decode()},
    })
    config = config_for(layers)
    store.put_blob(config)
    manifest = compact({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config),
                   "digest": sha256_digest(config)},
        "layers": layers,
    })
    store.put_manifest(sig_tag(digest), manifest, OCI_MANIFEST)
    print("signed %s as %s" % (digest, sig_tag(digest)))
    return 0


def check_layer(store, layer, identity, digest, keys):
    """The key file that verifies `layer`, or a reason it does not."""
    if layer.get("mediaType") != SIMPLE_SIGNING:
        return None, "not a simple-signing layer"
    payload = store.get_blob(layer["digest"])
    if sha256_digest(payload) != layer["digest"]:
        return None, "payload does not match its digest"
    try:
        claims = json.loads(payload)
        critical = claims["critical"]
        claimed_type = critical["type"]
        claimed_digest = critical["image"]["docker-manifest-digest"]
        claimed_identity = critical["identity"]["docker-reference"]
    except (ValueError, KeyError, TypeError) as e:
        return None, "malformed payload (%s)" % e
    if claimed_type != PAYLOAD_TYPE:
        return None, "payload type is %r" % claimed_type
    if claimed_digest != digest:
        return None, "payload names %s" % claimed_digest
    if claimed_identity != identity:
        return None, "payload names repository %s" % claimed_identity
    signature = layer_signature(layer)
    for key in keys:
        if verify_bytes(key, payload, signature):
            return key, None
    return None, "no key verifies the signature"


def cmd_verify(args):
    store, tag, identity = open_reference(args.ref, args)
    for key in args.key:
        if not os.path.isfile(key):
            raise Error("reading %s: no such file" % key)
    digest = resolve(store, tag, args.ref)
    layers = sig_layers(store, digest)
    if not layers:
        raise Failure("%s (%s): no signature (%s)" % (args.ref, digest, sig_tag(digest)))
    reasons = []
    for layer in layers:
        key, reason = check_layer(store, layer, identity, digest, args.key)
        if key is not None:
            print("verified by %s" % key)
            return 0
        reasons.append(reason)
    raise Failure("%s (%s): no valid signature: %s" % (args.ref, digest, "; ".join(reasons)))


def cmd_sig_manifest(args):
    store, tag, _ = open_reference(args.ref, args)
    digest = resolve(store, tag, args.ref)
    found = store.get_manifest(sig_tag(digest))
    if found is None:
        raise Failure("%s (%s): no %s" % (args.ref, digest, sig_tag(digest)))
    sys.stdout.buffer.write(found[0])
    return 0


def cmd_copy_sig(args):
    src, src_tag, _ = open_reference(args.ref, args)
    dest, dest_tag, _ = open_reference(args.dest, args)
    digest = resolve(src, src_tag, args.ref)
    found = src.get_manifest(sig_tag(digest))
    if found is None:
        raise Failure("%s (%s): no %s" % (args.ref, digest, sig_tag(digest)))
    manifest = json.loads(found[0])
    for descriptor in [manifest["config"]] + manifest.get("layers", []):
        dest.put_blob(src.get_blob(descriptor["digest"]))
    target = sig_tag(resolve(dest, dest_tag, args.dest))
    dest.put_manifest(target, found[0], OCI_MANIFEST)
    print("copied %s to %s" % (sig_tag(digest), target))
    return 0


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print("cosign_sig: %s (see --help)" % message, file=sys.stderr)
        sys.exit(2)


def main(argv):
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["sign", "verify", "sig-manifest", "copy-sig"])
    parser.add_argument("ref")
    parser.add_argument("dest", nargs="?")
    parser.add_argument("--key", action="append", default=[])
    parser.add_argument("--identity")
    parser.add_argument("--ca")
    parser.add_argument("--user")
    parser.add_argument("--plain-http", action="store_true")
    args = parser.parse_args(argv)
    if args.command in ("sign", "verify") and not args.key:
        print("cosign_sig: %s needs --key" % args.command, file=sys.stderr)
        return 2
    if args.command == "sign" and len(args.key) != 1:
        print("cosign_sig: sign takes one --key", file=sys.stderr)
        return 2
    if (args.command == "copy-sig") != (args.dest is not None):
        print("cosign_sig: only copy-sig takes a second reference", file=sys.stderr)
        return 2
    commands = {"sign": cmd_sign, "verify": cmd_verify,
                "sig-manifest": cmd_sig_manifest, "copy-sig": cmd_copy_sig}
    try:
        return commands[args.command](args)
    except Failure as e:
        print("cosign_sig: %s" % e, file=sys.stderr)
        return 1
    except Error as e:
        print("cosign_sig: error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
