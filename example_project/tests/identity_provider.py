"""A loopback identity provider answering RFC 7662 introspection for django-lasuite's resource
server: the tokens a test issues are active, any other is not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class IdentityProvider:
    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, Any]] = {}
        self.introspected: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                token = parse_qs(body).get("token", [""])[-1]
                provider.introspected.append(token)
                payload = json.dumps(provider.tokens.get(token, {"active": False})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def issue(self, token: str, *, sub: str, client_id: str, scope: str) -> str:
        self.tokens[token] = {"active": True, "sub": sub, "client_id": client_id, "scope": scope}
        return token

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
