"""A tiny prefix-stripping HTTP proxy (stdlib only) for self-testing client_compare.py.

  python prefix_proxy.py --listen 127.0.0.1:18106 --prefix /anomed/c1 --upstream 127.0.0.1:18105

Requests to /anomed/c1/<path>?<query> are forwarded to http://UPSTREAM/<path>?<query>
with the same method, body and headers (minus hop-by-hop ones); paths outside the
prefix get 404. It lets the reference challenge pose as "our" server, which
serves the AnoMed routes under a path prefix.
"""

import argparse
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
       "upgrade", "host"}


def make_handler(prefix: str, upstream: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            path = self.path
            if not (path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?")):
                body = b'{"title": "404 Not Found"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            rest = path[len(prefix):] or "/"
            if rest.startswith("?"):
                rest = "/" + rest
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn = http.client.HTTPConnection(upstream, timeout=300)
            try:
                conn.request(self.command, rest, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        def log_message(self, fmt, *args):  # quiet
            pass

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # clients hanging up are no news
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT")
    ap.add_argument("--prefix", required=True, help="path prefix, e.g. /anomed/c1")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the server to forward to")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    prefix = "/" + args.prefix.strip("/")
    Server((host, int(port)), make_handler(prefix, args.upstream)).serve_forever()


if __name__ == "__main__":
    main()
