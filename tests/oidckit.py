"""A tiny OpenID Connect provider for the sign-in test (tests/test_signin.py), offline: the stdlib's HTTP server,
ID tokens signed RS256 with joserfc. Discovery, an authorize endpoint that signs the configured user in at once
(redirecting back with a code), the token endpoint and the key set."""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID, CLIENT_SECRET = "osca-test", "osca-test-secret"


@contextlib.contextmanager
def provider(email: str):
    """Serve the provider on a free 127.0.0.1 port; yields its base URL (the user signed in is ``email``)."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
    codes: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _json(self, obj, status=200):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlparse(self.path)
            base = f"http://127.0.0.1:{self.server.server_port}"
            if url.path == "/.well-known/openid-configuration":
                self._json({"issuer": base, "authorization_endpoint": f"{base}/authorize",
                            "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
                            "response_types_supported": ["code"], "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "scopes_supported": ["openid", "email", "profile"]})
            elif url.path == "/jwks":
                self._json({"keys": [key.as_dict(private=False)]})
            elif url.path == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                code = secrets.token_urlsafe(16)
                codes[code] = q.get("nonce", "")
                self.send_response(302)
                self.send_header("Location", q["redirect_uri"] + "?" + urlencode({"code": code,
                                                                                    "state": q["state"]}))
                self.end_headers()
            else:
                self._json({"error": "not found"}, 404)

        def do_POST(self):
            base = f"http://127.0.0.1:{self.server.server_port}"
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()
                                                 ).items()}
            nonce = codes.pop(form.get("code", ""), None)
            if urlparse(self.path).path != "/token" or nonce is None:
                self._json({"error": "invalid_grant"}, 400)
                return
            now = int(time.time())
            claims = {"iss": base, "sub": "user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 3600, "nonce": nonce,
                      "email": email, "email_verified": True, "name": email.split("@")[0]}
            token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600,
                        "id_token": token})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
