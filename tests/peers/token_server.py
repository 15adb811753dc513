"""Docker registry token server (the `auth.token` side of CNCF Distribution), for tests.

usage: token_server.py PORT KEY.pem CERT.pem
Users: tokuser/tokpass gets every action it asks for; pullonly/pullpass gets
only `pull` (so a push with its token is refused by the registry). Any other
credentials get 401. Listens on 127.0.0.1 only.
"""
import base64
import hashlib
import json
import secrets
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt  # PyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_pem_x509_certificate

PORT = int(sys.argv[1])
KEY = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
CERT = load_pem_x509_certificate(open(sys.argv[3], "rb").read())
USERS = {"tokuser": ("tokpass", None), "pullonly": ("pullpass", {"pull"})}


def libtrust_kid(pub):
    # Distribution 2.8 finds the signing key by the libtrust key id of the cert.
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


KID = libtrust_kid(CERT.public_key())


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        user, allowed = None, None
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if name in USERS and USERS[name][0] == password:
                user, allowed = name, USERS[name][1]
        if user is None:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"details":"incorrect username or password"}')
            return
        access = []
        for scope in query.get("scope", []):  # repository:name:pull,push
            typ, name, actions = scope.split(":", 2)
            granted = [a for a in actions.split(",") if allowed is None or a in allowed]
            access.append({"type": typ, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": "test-token-issuer", "sub": user, "aud": query.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 5, "iat": now, "jti": secrets.token_hex(8), "access": access}
        token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": KID})
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
