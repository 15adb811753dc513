"""A Docker Registry v2 that misbehaves on purpose, for tests.

usage: hostile_registry.py PORT MODE REQUEST_LOG [OTHER_PORT] [STATUS]
User testuser / testpass-9f2c (Basic). Every request appends one line
"METHOD PATH AUTHORIZATION" to REQUEST_LOG. OTHER_PORT is another listener on
127.0.0.1 (a `collector`) that must never receive the credentials. Modes:
  collector    records requests; answers a token to GET, 204 to DELETE
  location     a good login, then a blob upload whose Location names OTHER_PORT
  open         the same without any login (anonymous reads and writes)
  redirect     the authenticated GET /v2/ answers 307 to OTHER_PORT
  realm        a Bearer challenge whose token realm is on OTHER_PORT
  echo         the authenticated GET /v2/ and the upload answer STATUS (401)
               with the request's Authorization header, the credentials it
               decodes to and their percent-encoding echoed in the body and
               in WWW-Authenticate
  cut          the authenticated GET /v2/ answers 401 with two error messages
               that end in the password and in the Authorization header's
               base64, padded so that a 200-character cut of "CODE message"
               splits each
  ecr-echo     an ECR API that refuses every request with SignatureDoesNotMatch,
               echoing the SigV4 signature it received in the message
  redirect-host  the authenticated GET /v2/ (any user) answers 307 to a host
               named after the password it decodes, on OTHER_PORT
  echo-bearer  a Bearer challenge with the realm on this port (token
               tok-Zq8vR2mLx7TgW4pN); the authenticated GET /v2/ echoes as above
127.0.0.1 only.
"""
import base64
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(sys.argv[1])
MODE = sys.argv[2]
LOG = sys.argv[3]
OTHER = int(sys.argv[4]) if len(sys.argv) > 4 else 0
STATUS = int(sys.argv[5]) if len(sys.argv) > 5 else 401
GOOD = "Basic " + base64.b64encode(b"testuser:testpass-9f2c").decode()
TOKEN = "tok-Zq8vR2mLx7TgW4pN"
SELF = f"http://127.0.0.1:{PORT}"
ELSEWHERE = f"http://127.0.0.1:{OTHER}"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def echo(self, status):
        auth = self.headers.get("Authorization", "")
        decoded = ""
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode(errors="replace")
        said = f"{auth} | {decoded} | {urllib.parse.quote(decoded, safe='')} | {urllib.parse.quote(auth, safe='')}"
        body = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": said, "detail": dict(self.headers)}]})
        self.reply(status, body.encode(), [("Content-Type", "application/json"),
                                           ("WWW-Authenticate", f'Basic realm="{said}"')])

    def cut(self):
        auth = self.headers.get("Authorization", "")
        encoded = auth[6:] if auth.startswith("Basic ") else auth
        password = base64.b64decode(encoded).decode(errors="replace").split(":", 1)[-1]
        errors = [
            {"code": "UNAUTHORIZED", "message": "x" * (200 - 13 - 7) + " " + password},
            {"code": "DENIED", "message": "y" * (200 - 7 - 16) + " " + encoded},
        ]
        body = json.dumps({"errors": errors}).encode()
        self.reply(401, body, [("Content-Type", "application/json")])

    def challenge(self):
        if MODE == "realm":
            value = f'Bearer realm="{ELSEWHERE}/token",service="hostile"'
        elif MODE == "echo-bearer":
            value = f'Bearer realm="{SELF}/token",service="hostile"'
        else:
            value = 'Basic realm="hostile"'
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.reply(401, body, [("WWW-Authenticate", value), ("Content-Type", "application/json")])

    def handle_any(self):
        auth = self.headers.get("Authorization", "")
        with open(LOG, "a") as log:
            log.write(f"{self.command} {self.path} {auth}\n")
        path = urllib.parse.urlparse(self.path).path
        if MODE == "collector":
            if self.command == "DELETE":
                return self.reply(204)
            return self.reply(200, json.dumps({"token": "collected-Zq8vR2mLx7TgW4pN"}).encode(),
                              [("Content-Type", "application/json")])
        if MODE == "ecr-echo":
            said = {"__type": "SignatureDoesNotMatch", "message": "sig " + auth.split("Signature=")[-1]}
            return self.reply(403, json.dumps(said).encode(), [("Content-Type", "application/x-amz-json-1.1")])
        if path == "/token" and MODE == "echo-bearer":
            if auth != GOOD:
                return self.reply(401, b'{"details":"incorrect username or password"}')
            return self.reply(200, json.dumps({"token": TOKEN}).encode(), [("Content-Type", "application/json")])
        if not auth and MODE != "open":
            return self.challenge()
        if MODE == "redirect-host":
            password = base64.b64decode(auth[6:]).decode(errors="replace").split(":", 1)[-1]
            return self.reply(307, b"", [("Location", f"http://{password}.localhost:{OTHER}/v2/")])
        if MODE == "realm":
            return self.reply(200, b"{}") if auth.startswith("Bearer ") else self.challenge()
        if MODE.startswith("echo"):
            return self.echo(STATUS)
        if MODE == "cut":
            return self.cut()
        if auth != GOOD and MODE != "open":
            return self.challenge()
        if MODE == "redirect" and path == "/v2/":
            return self.reply(307, b"", [("Location", f"{ELSEWHERE}/v2/")])
        if self.command == "POST" and path.endswith("/blobs/uploads/"):
            return self.reply(202, b"", [("Location", f"{ELSEWHERE}{path}stolen-upload"),
                                         ("Docker-Upload-UUID", "stolen-upload")])
        return self.reply(200, b"{}", [("Content-Type", "application/json")])

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = handle_any


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
