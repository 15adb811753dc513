"""An HTTPS forward proxy (HTTP CONNECT tunnels), for tests.

usage: connect_proxy.py PORT REQUEST_LOG
Each CONNECT appends "CONNECT host:port" to REQUEST_LOG, so a test can see
which connections went through the proxy. 127.0.0.1 only.
"""
import socket
import sys
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = int(sys.argv[1])
LOG = sys.argv[2]


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Handler(StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        method, target, _ = (line.split(" ") + ["", ""])[:3]
        with open(LOG, "a") as log:
            log.write(f"{method} {target}\n")
        if method != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        other = threading.Thread(target=pipe, args=(upstream, self.connection), daemon=True)
        other.start()
        pipe(self.connection, upstream)
        other.join(10)
        upstream.close()


ThreadingTCPServer.allow_reuse_address = True
ThreadingTCPServer.daemon_threads = True
ThreadingTCPServer(("127.0.0.1", PORT), Handler).serve_forever()
