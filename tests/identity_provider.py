"""A stand-in identity provider on loopback: it answers RFC 7662 token introspection over real
HTTP, for django-lasuite's resource server (``conftest.identity_provider``).

It serves only the tokens a test issues (``issue()``), checks the resource server's client
credentials as a real provider does (401 with a ``WWW-Authenticate`` challenge otherwise), and
records every introspection request, so a test can tell which tokens left the process.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

#: The resource server's credentials at the provider (``OIDC_RS_CLIENT_ID`` / ``_SECRET``).
RS_CLIENT_ID = "tests-api"
RS_CLIENT_SECRET = "tests-api-introspection-secret"
#: The scope every token for this resource server carries (``OIDC_RS_SCOPES``).
RS_SCOPE = "lasuite_tests"
#: The service allowed to call (``OIDC_RS_ALLOWED_AUDIENCES``), and one that is not.
ALLOWED_SERVICE = "drive-service"
OTHER_SERVICE = "unknown-service"


class IdentityProvider:
    """The provider's state: issued tokens and the introspection requests received."""

    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.introspection_url = f"{self.url}/introspect"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> IdentityProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.tokens.clear()
        self.requests.clear()

    def issue(
        self,
        token: str = "rs-token",
        *,
        sub: str = "alice",
        audience: str = ALLOWED_SERVICE,
        scope: str = RS_SCOPE,
        active: bool = True,
        **claims: Any,
    ) -> str:
        """Make ``token`` known: its introspection says ``active``, ``sub``, ``scope`` and the
        calling service's ``client_id``. Returns the token."""
        self.tokens[token] = {
            "active": active,
            "iss": self.url,
            "sub": sub,
            "client_id": audience,
            "scope": scope,
            "token_type": "Bearer",
            **claims,
        }
        return token

    @property
    def introspected(self) -> list[str]:
        """The tokens sent for introspection, in order."""
        return [request.get("token", "") for request in self.requests]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                params = {name: values[-1] for name, values in form.items()}
                provider.requests.append(params)
                if self.path != "/introspect":
                    self._send(404, {"error": "not_found"})
                elif (params.get("client_id"), params.get("client_secret")) != (
                    RS_CLIENT_ID,
                    RS_CLIENT_SECRET,
                ):
                    self._send(
                        401,
                        {"error": "invalid_client"},
                        {
                            "WWW-Authenticate": 'Bearer error="invalid_client", '
                            'error_description="Client authentication failed"'
                        },
                    )
                else:
                    self._send(200, provider.tokens.get(params.get("token", ""), {"active": False}))

            def _send(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
