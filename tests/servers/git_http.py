#!/usr/bin/env python3
"""A smart-HTTP git server for the tests: `git http-backend` behind a tiny CGI host.

Standard library only. Binds 127.0.0.1 on a port the system chooses (or --port, to come back
on the same one after a restart) and writes it to --port-file (atomically) and to stdout. Every request needs HTTP Basic auth whose password is
--token (the user name is not checked); without it the answer is 401 with
`WWW-Authenticate: Basic realm="git"`. Each request is logged to --log as one JSON object a line:
{"method", "path", "query", "auth", "user", "status"}.

--move-after-fetch BRANCH: once an upload-pack POST for a repository has its answer, before it is sent, move
refs/heads/BRANCH there to a new commit on top of it (created on top of HEAD when the branch does
not exist), as if someone pushed between the client's fetch and its push.

--redirect OLD=NEW: answer requests under /OLD with a 301 to the same request under /NEW (after
authentication, as GitHub does for a renamed repository); repeatable.

--tls-cert FILE --tls-key FILE: serve https (the URLs become https://127.0.0.1:PORT/...).

Pushes need `http.receivepack true` in the bare repository's config (the tests set it).
"""

import argparse
import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, unquote

LOG_LOCK = threading.Lock()
MOVE_LOCK = threading.Lock()


def find_backend(given):
    if given:
        return given
    candidates = ["/usr/lib/git-core/git-http-backend"]
    try:
        exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(os.path.join(exec_path, "git-http-backend"))
    except (OSError, subprocess.CalledProcessError):
        pass
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    sys.exit("git-http-backend not found")


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout.strip()


def move_branch(repo, branch):
    """Someone else's commit on refs/heads/BRANCH of the bare repository `repo`."""
    ref = f"refs/heads/{branch}"
    with MOVE_LOCK:
        try:
            old = git(repo, "rev-parse", "--verify", "-q", ref)
        except subprocess.CalledProcessError:
            old = ""
        base = old or git(repo, "rev-parse", "--verify", "HEAD")
        env = dict(os.environ, GIT_AUTHOR_NAME="Other Writer", GIT_AUTHOR_EMAIL="other@example.com",
                   GIT_COMMITTER_NAME="Other Writer", GIT_COMMITTER_EMAIL="other@example.com")
        new = subprocess.run(
            ["git", "-C", repo, "commit-tree", f"{base}^{{tree}}", "-p", base, "-m", "someone else pushed here"],
            capture_output=True, text=True, check=True, env=env).stdout.strip()
        args = ["update-ref", ref, new, old]
        subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pave-test-git-http/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def record(self, user, status):
        parts = urlsplit(self.path)
        entry = {"method": self.command, "path": unquote(parts.path), "query": parts.query,
                 "auth": user is not None, "user": user, "status": status}
        with LOG_LOCK, open(self.server.opts.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = bytearray()
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authorized(self):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if password == self.server.opts.token else None

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        body = self.read_body() if self.command == "POST" else b""
        user = self.authorized()
        if user is None:
            self.record(None, 401)
            self.reply(401, [("WWW-Authenticate", 'Basic realm="git"'), ("Content-Type", "text/plain")],
                       b"authentication required\n")
            return
        parts = urlsplit(self.path)
        opts = self.server.opts
        for old, new in opts.redirect:
            if parts.path == f"/{old}" or parts.path.startswith(f"/{old}/"):
                target = f"/{new}" + parts.path[len(old) + 1:] + (f"?{parts.query}" if parts.query else "")
                self.record(user, 301)
                self.reply(301, [("Location", target), ("Content-Type", "text/plain")], b"moved\n")
                return
        env = dict(os.environ)
        env.update({
            "GIT_PROJECT_ROOT": opts.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": unquote(parts.path),
            "QUERY_STRING": parts.query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user or "user",
            "REMOTE_ADDR": "127.0.0.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        })
        for name, var in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            value = self.headers.get(name)
            if value:
                env[var] = value
            else:
                env.pop(var, None)
        proc = subprocess.run([opts.backend], input=body, capture_output=True, env=env, timeout=120)
        out = proc.stdout
        sep = out.find(b"\r\n\r\n")
        sep_len = 4
        if sep < 0:
            sep, sep_len = out.find(b"\n\n"), 2
        if sep < 0:
            self.record(user, 500)
            self.reply(500, [("Content-Type", "text/plain")], b"bad CGI output\n" + proc.stderr)
            return
        status, headers = 200, []
        for line in out[:sep].decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        # The branch moves once the fetch's pack is made and before pave has it: moved after the
        # reply, a fast client could list the branch before the move and miss the race.
        if (self.command == "POST" and parts.path.endswith("/git-upload-pack") and opts.move_after_fetch
                and status == 200):
            repo = os.path.join(opts.root, unquote(parts.path)[1:-len("/git-upload-pack")])
            move_branch(repo, opts.move_after_fetch)
        self.record(user, status)
        self.reply(status, headers, out[sep + sep_len:])

    do_GET = handle_any
    do_POST = handle_any


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="the directory holding the bare repositories")
    p.add_argument("--token", required=True, help="the password every request must carry")
    p.add_argument("--log", required=True, help="where each request is logged, one JSON object a line")
    p.add_argument("--port-file", help="where the chosen port is written")
    p.add_argument("--port", type=int, default=0, help="the port (default: one the system chooses)")
    p.add_argument("--move-after-fetch", metavar="BRANCH")
    p.add_argument("--backend", help="git-http-backend (default: Debian's, else git's exec path)")
    p.add_argument("--redirect", action="append", default=[], metavar="OLD=NEW",
                   help="answer requests under /OLD with a 301 to /NEW")
    p.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    p.add_argument("--tls-key", help="and this key (PEM)")
    opts = p.parse_args()
    opts.redirect = [tuple(r.split("=", 1)) for r in opts.redirect]
    opts.root = os.path.abspath(opts.root)
    opts.backend = find_backend(opts.backend)
    if shutil.which("git") is None:
        sys.exit("git not on PATH")
    server = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    server.daemon_threads = True
    server.opts = opts
    if opts.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(opts.tls_cert, opts.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{port}\n")
        os.replace(tmp, opts.port_file)
    print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
