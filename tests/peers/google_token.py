"""A Google OAuth2 token endpoint for the service-account JWT-bearer flow, for tests.

usage: google_token.py PORT PUBLIC_KEY.pem ACCESS_TOKEN REQUEST_LOG [SKEW_SECONDS]
The assertion is checked with google-auth's own verifier (google.auth.jwt.decode:
RS256 signature against the key, `aud`, `iat`/`exp`). Answers are shaped like
Google's: 200 {"access_token","expires_in","token_type"} or 400 invalid_grant
with Google's wording. The access token names the scope it was minted for:
ACCESS_TOKEN-rw for devstorage.read_write (the stock refresher's), -cp for
cloud-platform, -other for anything else. Every request appends one line
"PATH SCOPE" to REQUEST_LOG (so a test can prove what was asked for, or that
nothing was sent). SKEW_SECONDS shifts this peer's clock (and its Date header),
to stand for a machine whose clock is off. 127.0.0.1 only.
"""
import base64
import datetime
import email.utils
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import google.auth._helpers
from google.auth import jwt

PORT = int(sys.argv[1])
PUBLIC_KEY = open(sys.argv[2]).read()
ACCESS_TOKEN = sys.argv[3]
REQUEST_LOG = sys.argv[4]
SKEW = int(sys.argv[5]) if len(sys.argv) > 5 else 0
SCOPE_SUFFIX = {"https://www.googleapis.com/auth/devstorage.read_write": "rw",
                "https://www.googleapis.com/auth/cloud-platform": "cp"}
AUDIENCES = [f"http://127.0.0.1:{PORT}/token", "https://oauth2.googleapis.com/token"]

if SKEW:
    _real_utcnow = google.auth._helpers.utcnow
    google.auth._helpers.utcnow = lambda: _real_utcnow() + datetime.timedelta(seconds=SKEW)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(time.time() + SKEW, usegmt=True)

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        assertion = form.get("assertion", [""])[0]
        try:
            asked = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "==")).get("scope", "")
        except (ValueError, IndexError):
            asked = ""
        with open(REQUEST_LOG, "a") as log:
            log.write(f"{self.path} {asked}\n")
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return self.reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        try:
            claims = jwt.decode(assertion, certs=PUBLIC_KEY, audience=AUDIENCES)
        except ValueError as e:
            text = str(e)
            if "signature" in text.lower():
                return self.reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            if "early" in text or "expired" in text.lower():
                return self.reply(400, {"error": "invalid_grant", "error_description":
                    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                    "Check your iat and exp values in the assertion and use a clock with skew to account for "
                    "clock skew between systems."})
            return self.reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT: " + text[:80]})
        if not claims.get("scope"):
            return self.reply(400, {"error": "invalid_scope", "error_description": "Empty or missing scope not allowed."})
        suffix = SCOPE_SUFFIX.get(claims["scope"], "other")
        self.reply(200, {"access_token": f"{ACCESS_TOKEN}-{suffix}", "expires_in": 3599, "token_type": "Bearer"})


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
