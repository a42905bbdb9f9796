"""``seccodegen review serve``: a local page (stdlib HTTP server) to label a review set.

Bound to 127.0.0.1 by default. Labels go to ``labels.sqlite`` in the review set on every click.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from seccodegen.review.reviewset import load_reviewset
from seccodegen.review.store import LabelStore

PAGE = Path(__file__).with_name("page.html")
MAX_BODY = 64 * 1024  # bytes; a label is tiny


def make_server(reviewset: str | Path, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    items = load_reviewset(reviewset)
    store = LabelStore(Path(reviewset) / "labels.sqlite")
    page = PAGE.read_bytes()
    items_json = json.dumps(items).encode()
    known = {it["id"] for it in items}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: object) -> None:  # keep the terminal quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            elif url.path == "/api/items":
                self._send(HTTPStatus.OK, items_json)
            elif url.path == "/api/labels":
                reviewer = parse_qs(url.query).get("reviewer", [None])[0]
                self._send(HTTPStatus.OK, json.dumps(store.labels(reviewer)).encode())
            else:
                self._send(HTTPStatus.NOT_FOUND, b'{"error": "not found"}')

        def do_POST(self) -> None:  # noqa: N802
            if urlparse(self.path).path != "/api/label":
                self._send(HTTPStatus.NOT_FOUND, b'{"error": "not found"}')
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b'{"error": "body too large"}')
                return
            try:
                body = json.loads(self.rfile.read(length))
                if body.get("item_id") not in known:
                    raise ValueError("unknown item_id")
                store.save(body["item_id"], str(body.get("reviewer", "")), body.get("security"),
                           body.get("correctness"), str(body.get("note", ""))[:2000])
            except (ValueError, KeyError, TypeError) as exc:
                self._send(HTTPStatus.BAD_REQUEST, json.dumps({"error": str(exc)}).encode())
                return
            self._send(HTTPStatus.OK, b'{"ok": true}')

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
