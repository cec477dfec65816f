#!/usr/bin/python3
"""A stand-in for the Kubernetes API server, as far as netprobe asks it:
GET /api/v1/pods?limit=N[&continue=TOKEN], answered from a PodList file in
the API's own JSON shape, over HTTPS.

    apiserver.py --cert CERT --key KEY --pods PODLIST.json --port-file F
                 [--token T] [--client-ca CA] [--page N]

It listens on 127.0.0.1 on a port the kernel picks and writes it to F.
--token: requests need "Authorization: Bearer T" (else 401, as the API
server); --client-ca: or a client certificate signed by CA. --page N serves
at most N items per page (the real server may return fewer than limit) with
metadata.continue, as the API server paginates. Each request is logged to
stderr as one line: the path and whether it was authorised.
"""

import argparse
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--pods", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token")
    ap.add_argument("--client-ca")
    ap.add_argument("--page", type=int, default=0)
    args = ap.parse_args()
    with open(args.pods) as f:
        podlist = json.load(f)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def answer(self, code, doc):
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def authorised(self):
            if args.token and self.headers.get("Authorization") == "Bearer " + args.token:
                return True
            return bool(args.client_ca and self.connection.getpeercert())

        def do_GET(self):
            url = urlparse(self.path)
            ok = self.authorised()
            print(f"GET {self.path} {'ok' if ok else 'denied'}", file=sys.stderr, flush=True)
            if not ok:
                return self.answer(401, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                         "status": "Failure", "message": "Unauthorized",
                                         "reason": "Unauthorized", "code": 401})
            if url.path != "/api/v1/pods":
                return self.answer(404, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                         "status": "Failure", "reason": "NotFound", "code": 404})
            q = parse_qs(url.query)
            limit = int(q.get("limit", ["0"])[0]) or len(podlist["items"])
            if args.page:
                limit = min(limit, args.page)
            start = int(q.get("continue", ["0"])[0])
            items = podlist["items"][start:start + limit]
            meta = {"resourceVersion": podlist["metadata"].get("resourceVersion", "1")}
            if start + limit < len(podlist["items"]):
                meta["continue"] = str(start + limit)
                meta["remainingItemCount"] = len(podlist["items"]) - start - limit
            self.answer(200, {"kind": "PodList", "apiVersion": "v1", "metadata": meta,
                              "items": items})

    srv = HTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.load_verify_locations(args.client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
