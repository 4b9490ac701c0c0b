"""
test_web.py: the web UI's files as a client sees them (UI.md "Stack"):
GET / and /app redirect to /app/, every file under web/ is served from the
binary with the UI's headers (CSP, nosniff, Cache-Control: no-cache, a
strong ETag and 304 on If-None-Match), a gzip copy for clients that accept
it, index.html for client-side routes, 404 for missing files, no way out
of web/ (dot segments, encoded or not), and --web-dir serving from disk.
"""

import gzip
import hashlib
import os
import shutil

from tl import expect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(ROOT, "web")
CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


def etag_of(data):
    return '"%s"' % hashlib.blake2b(data, digest_size=16).hexdigest()


def web_bytes(rel):
    with open(os.path.join(WEB, rel), "rb") as f:
        return f.read()


def assert_ui_headers(r):
    assert r.headers.get("Content-Security-Policy") == CSP, r.headers
    assert r.headers.get("X-Content-Type-Options") == "nosniff", r.headers
    assert r.headers.get("Cache-Control") == "no-cache", r.headers
    assert r.headers.get("ETag", "").startswith('"'), r.headers
    assert "Accept-Encoding" in r.headers.get("Vary", ""), r.headers


def get_raw(t, path, headers=b""):
    """GET with the path sent byte for byte (http.client would not send
    '..' unchanged either way; this checks what the server does with it)."""
    out = t.raw(b"GET " + path + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + headers +
                b"\r\n", timeout=10)
    head = out.split(b"\r\n", 1)[0]
    return int(head.split()[1]), out


def test_root_redirects_to_app(t):
    for path in ("/", "/app", "/?x=1"):
        r = t.get(path)
        assert r.status == 302, r
        assert r.headers.get("Location") == "/app/", r.headers
    assert t.request("HEAD", "/").status == 302


def test_index_and_headers(t):
    r = t.get("/app/", headers={"Accept-Encoding": None})
    expect(r, 200)
    assert r.content_type == "text/html; charset=utf-8", r.content_type
    assert r.body == web_bytes("index.html")
    assert_ui_headers(r)
    assert r.headers.get("ETag") == etag_of(r.body), (r.headers.get("ETag"), etag_of(r.body))
    assert r.headers.get("Content-Encoding") is None


def test_every_file_served_with_its_type(t):
    types = {".html": "text/html; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
             ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
             ".svg": "image/svg+xml"}
    seen = 0
    for d, dirs, names in os.walk(WEB):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), WEB).replace(os.sep, "/")
            if n.startswith(".") or rel == "README.md":
                continue
            r = t.get("/app/" + rel)
            expect(r, 200)
            assert r.body == web_bytes(rel), rel
            ext = os.path.splitext(n)[1]
            if ext in types:
                assert r.content_type == types[ext], (rel, r.content_type)
            assert_ui_headers(r)
            seen += 1
    assert seen >= 1


def test_etag_and_304(t):
    r = expect(t.get("/app/index.html"), 200)
    tag = r.headers["ETag"]
    r2 = t.get("/app/index.html", headers={"If-None-Match": tag})
    assert r2.status == 304, r2
    assert r2.body == b""
    assert r2.headers.get("ETag") == tag
    assert r2.headers.get("Cache-Control") == "no-cache"
    # a list, a weak form and "*" match too; another tag does not
    for inm in ('"nope", ' + tag, "W/" + tag, "*"):
        assert t.get("/app/index.html", headers={"If-None-Match": inm}).status == 304, inm
    assert t.get("/app/index.html", headers={"If-None-Match": '"nope"'}).status == 200
    # a client-side route is index.html, with index.html's tag
    assert t.get("/app/campaigns", headers={"If-None-Match": tag}).status == 304


def test_gzip_when_accepted(t):
    plain = web_bytes("index.html")
    r = t.get("/app/", headers={"Accept-Encoding": "gzip, deflate, br"})
    expect(r, 200)
    assert r.headers.get("Content-Encoding") == "gzip", r.headers
    assert gzip.decompress(r.body) == plain
    assert r.headers.get("Vary") == "Accept-Encoding"
    assert_ui_headers(r)
    gz_tag = r.headers["ETag"]
    assert gz_tag != etag_of(plain)  # another representation, another tag
    assert t.get("/app/", headers={"Accept-Encoding": "gzip",
                                   "If-None-Match": gz_tag}).status == 304
    # q=0 refuses it; identity only, or nothing, gets the plain bytes
    for ae in ("gzip;q=0", "gzip; q=0.000, identity", "identity", "br", None):
        r = t.get("/app/", headers={"Accept-Encoding": ae})
        expect(r, 200)
        assert r.headers.get("Content-Encoding") is None, (ae, r.headers)
        assert r.body == plain, ae
    for ae in ("GZIP", "x-gzip", "*", "deflate;q=1, gzip;q=0.5"):
        r = t.get("/app/", headers={"Accept-Encoding": ae})
        assert r.headers.get("Content-Encoding") == "gzip", (ae, r.headers)


def test_client_routes_serve_index(t):
    index = web_bytes("index.html")
    for path in ("/app/login", "/app/campaigns?status=active", "/app/campaigns/3/tasks",
                 "/app/campaigns/new", "/app/tasks/12", "/app/campaigns/"):
        r = t.get(path, headers={"Accept-Encoding": None})
        expect(r, 200)
        assert r.body == index, path
        assert r.content_type == "text/html; charset=utf-8"
        assert_ui_headers(r)


def test_missing_files_are_404(t):
    for path in ("/app/vendor/nope.mjs", "/app/vendor/nope", "/app/src/nope.mjs",
                 "/app/i18n/xx.mjs", "/app/nope.css", "/app/campaigns/nope.js"):
        r = t.get(path)
        assert r.status == 404, (path, r)
        assert r.content_type.startswith("application/problem+json"), r.content_type


def test_no_path_traversal(t):
    paths = [b"/app/../src/main.c", b"/app/..", b"/app/../", b"/app/%2e%2e/src/main.c",
             b"/app/%2E%2E/%2e%2e/README.md", b"/app/./index.html", b"/app/%2e/index.html",
             b"/app/src/../index.html", b"/app/..%2fmeson.build", b"/app/%2e%2e%2fmeson.build",
             b"/app/..%5cmeson.build", b"/app/vendor/%2e%2e/%2e%2e/meson.build"]
    for p in paths:
        status, out = get_raw(t, p)
        assert status == 404, (p, out[:300])
        assert b"project(" not in out and b"#include" not in out, p
    # the server keeps serving
    expect(t.get("/healthz"), 200)


def test_methods(t):
    r = t.post("/app/index.html", body={})
    assert r.status == 405, r
    assert "GET" in r.headers.get("Allow", "")
    r = t.request("HEAD", "/app/index.html")
    assert r.status == 200 and r.body == b""


def test_web_dir_serves_from_disk(t):
    base = t.tmpdir()
    d = os.path.join(base, "web")
    os.makedirs(d)
    shutil.copy(os.path.join(WEB, "index.html"), os.path.join(d, "index.html"))
    os.makedirs(os.path.join(d, "src"))
    with open(os.path.join(d, "src", "dev.mjs"), "wb") as f:
        f.write(b"export const dev = 1;\n")
    s = t.start_server(args=["--web-dir", d])
    r = expect(s.get("/app/src/dev.mjs"), 200)
    assert r.body == b"export const dev = 1;\n"
    assert r.content_type == "text/javascript; charset=utf-8"
    assert r.headers.get("ETag") == etag_of(r.body)  # as the build computes it
    assert_ui_headers(r)
    assert s.get("/app/src/dev.mjs", headers={"If-None-Match": r.headers["ETag"]}).status == 304
    # an edit shows at once, with a new tag
    with open(os.path.join(d, "src", "dev.mjs"), "wb") as f:
        f.write(b"export const dev = 2;\n")
    r2 = expect(s.get("/app/src/dev.mjs"), 200)
    assert r2.body == b"export const dev = 2;\n" and r2.headers["ETag"] != r.headers["ETag"]
    assert expect(s.get("/app/tasks/3"), 200).body == web_bytes("index.html")
    assert s.get("/app/src/other.mjs").status == 404
    assert s.get("/app/src").status == 404  # a folder is no file
    with open(os.path.join(base, "secret.txt"), "w") as f:
        f.write("secret")
    status, out = get_raw(s, b"/app/%2e%2e/secret.txt")
    assert status == 404 and b"secret" not in out.split(b"\r\n\r\n", 1)[-1]
