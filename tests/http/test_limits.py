"""
test_limits.py: every limit of the HTTP front answers, in problem+json, and
slow clients are cut off on every path (src/http/front.c, frontread.c).

Seen from the wire with raw sockets: a head trickled past its deadline and
a body trickled below the minimum rate are closed, whether the request
would have been answered by the front or relayed to libmicrohttpd (more
than 64 headers, a body, PATCH, chunked); slow clients from some addresses
leave the API to the others; many query parameters get 414; a chunked body
gets its 413 as soon as it crosses the cap; framing the front does not take
(Transfer-Encoding other than "chunked", a NUL, obs-fold) gets 400 and a
close; over the per-address limit a connection gets 503 with Retry-After;
behind --trust-proxy there is no per-address limit.
"""

import http.client
import json
import re
import socket
import time

from tl import A, expect

SERVER = {"args": ["--head-timeout", "2", "--body-min-rate", "100"]}

UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36"


def connect(srv, source=None, timeout=10):
    s = socket.create_connection((srv.host, srv.port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    return s


def read_answer(s, timeout=10.0):
    """One answer off s: (status, headers, body); None when closed first."""
    buf = b""
    deadline = time.time() + timeout
    while b"\r\n\r\n" not in buf:
        assert time.time() < deadline, "no answer: %r" % buf[:300]
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return None if not buf else (0, {}, buf)
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        assert time.time() < deadline, "body cut short"
        s.settimeout(max(0.01, deadline - time.time()))
        chunk = s.recv(65536)
        assert chunk, "closed in a body"
        rest += chunk
    return status, hdrs, rest[:n]


def closed_within(s, timeout):
    """True once the server closed s (EOF or reset) within timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def exchange(srv, data, timeout=10, wait_close=True):
    """Sends data on a new connection; returns (answer, closed after it);
    wait_close=False: does not wait for a close."""
    s = connect(srv)
    try:
        s.sendall(data)
        ans = read_answer(s, timeout)
        return ans, wait_close and closed_within(s, timeout)
    finally:
        s.close()


def hold(srv, n, source=None):
    """n connections that the server has accepted (a request begun: the
    listener accepts only once bytes came)."""
    held = []
    for _ in range(n):
        s = connect(srv, source=source)
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        held.append(s)
    return held


def problem(ans, status, code=None):
    assert ans is not None, "closed without an answer"
    st, hdrs, body = ans
    assert st == status, (st, body[:300])
    assert hdrs.get("content-type", "").startswith("application/problem+json"), hdrs
    doc = json.loads(body)
    assert doc["status"] == status, doc
    if code is not None:
        assert doc["code"] == code, doc
    return doc


def metric(srv, name):
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    try:
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
    finally:
        c.close()
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else 0


def program_count(srv, bk):
    return len(srv.list_all(A + "/programs", bk))


def post_head(path, key, length=None, extra=""):
    h = "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n" % (path, key)
    if length is not None:
        h += "Content-Length: %d\r\n" % length
    return (h + extra + "\r\n").encode()


def many_headers(n):
    return "".join("X-H%d: v\r\n" % i for i in range(n))


# ---- slow clients ----

def test_trickled_heads_are_cut_at_the_deadline_on_both_paths(t):
    srv = t.srv
    slow0 = metric(srv, "tracklink_front_slow_closed_total")
    # A redirect (the front's own), and one with more than 64 headers (once
    # libmicrohttpd's, which restarted its timeout on every byte).
    heads = [
        b"GET /abcdef HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n",
        ("GET /api/v1/programs HTTP/1.1\r\nHost: x\r\n" + many_headers(70)).encode(),
    ]
    socks = [connect(srv) for _ in heads]
    try:
        start = time.time()
        sent = [0] * len(heads)
        open_ = set(range(len(heads)))
        while open_ and time.time() - start < 30:
            for i in list(open_):
                try:
                    if sent[i] < len(heads[i]):
                        socks[i].sendall(heads[i][sent[i]:sent[i] + 1])
                        sent[i] += 1
                    else:
                        socks[i].sendall(b"X")  # never ends the head
                except (BrokenPipeError, ConnectionResetError):
                    open_.discard(i)
                    continue
                if closed_within(socks[i], 0.05):
                    open_.discard(i)
            time.sleep(0.1)
        assert not open_, "still open after 30 s: %s" % sorted(open_)
    finally:
        for s in socks:
            s.close()
    assert metric(srv, "tracklink_front_slow_closed_total") >= slow0 + 2


def trickle_until_closed(s, data, step, limit=30):
    """Sends data a byte every step seconds; True when the server closed first."""
    start = time.time()
    for i in range(len(data)):
        if time.time() - start > limit:
            return False
        try:
            s.sendall(data[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            return True
        if closed_within(s, step):
            return True
    return False


def test_trickled_bodies_are_cut_below_the_minimum_rate(t):
    srv = t.srv
    bk = t.new_brand()["api_key"]
    prog = t.new_program(bk)
    body = json.dumps({"name": "x" * 20000}).encode()
    cases = [
        post_head(A + "/programs", bk, len(body)),  # a body over 8 KiB
        ("PATCH %s/programs/%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
         % (A, prog["id"], bk, len(body))).encode(),
        post_head(A + "/programs", bk, extra="Transfer-Encoding: chunked\r\n"),
    ]
    for head in cases:
        s = connect(srv)
        try:
            s.sendall(head)
            data = body if b"chunked" not in head else b"%x\r\n" % len(body) + body
            assert trickle_until_closed(s, data, 0.1), head[:60]
        finally:
            s.close()
    # Nothing of it reached a handler.
    assert expect(t.get(A + "/programs/%d" % prog["id"], key=bk), 200)["name"] == prog["name"]


def test_a_body_at_a_fair_rate_is_read(t):
    # A body in pieces, faster than the minimum rate: read, relayed, answered.
    bk = t.new_brand()["api_key"]
    body = json.dumps(t.srv.program_body()).encode()
    s = connect(t.srv)
    try:
        s.sendall(post_head(A + "/programs", bk, len(body)))
        for i in range(0, len(body), 40):
            s.sendall(body[i:i + 40])
            time.sleep(0.02)
        ans = read_answer(s)
    finally:
        s.close()
    assert ans[0] == 201, ans


def test_slow_clients_from_some_addresses_leave_the_api_to_others(t):
    srv = t.start_server(args=["--head-timeout", "2", "--body-min-rate", "100", "--per-ip-limit", "20"])
    bk = srv.new_brand()["api_key"]
    held = []
    try:
        for src in ("127.0.0.2", "127.0.0.3"):
            for i in range(20):
                s = connect(srv, source=src)
                # Half of them in a head with many headers, half in a body.
                if i % 2:
                    s.sendall(("GET /x HTTP/1.1\r\nHost: x\r\n" + many_headers(70)).encode())
                else:
                    s.sendall(post_head(A + "/programs", bk, 5000) + b"{")
                held.append(s)
        # Others are served meanwhile, on the API and on redirects.
        expect(srv.get(A + "/programs", key=bk), 200)
        ans, _ = exchange(srv, b"GET /nosuchcode HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert ans[0] == 404, ans
        # The slow ones are cut (they send nothing more), and their addresses
        # are served again.
        for s in held:
            assert closed_within(s, 30), "a slow client was kept"
        s = connect(srv, source="127.0.0.2")
        try:
            s.sendall(("GET %s/programs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (A, bk)).encode())
            assert read_answer(s)[0] == 200
        finally:
            s.close()
    finally:
        for s in held:
            s.close()


# ---- every limit answers ----

def test_many_query_parameters_are_answered(t):
    bk = t.new_brand()["api_key"]
    for path in (A + "/programs", "/somecode", "/c/1/2/3"):
        for n, ok in ((100, True), (300, False), (2000, False)):
            q = "&".join("p%d=v" % i for i in range(n))
            ans, closed = exchange(t.srv, ("GET %s?%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                                           % (path, q, bk)).encode(), wait_close=not ok)
            if ok:
                assert ans is not None and ans[0] in (200, 404), (path, n, ans and ans[:2])
            else:
                doc = problem(ans, 414)
                assert doc["code"] == "uri_too_long", doc
                assert closed, (path, n)


def test_uri_and_headers_too_large_are_problem_json(t):
    ans, closed = exchange(t.srv, ("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % ("a" * 9000)).encode())
    problem(ans, 414, "uri_too_long")
    assert closed
    ans, closed = exchange(t.srv, ("GET /abc HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % ("a" * 9000)).encode())
    problem(ans, 431, "headers_too_large")
    assert closed
    ans, closed = exchange(t.srv, ("GET /abc HTTP/1.1\r\nHost: x\r\n%s\r\n" % many_headers(65)).encode())
    problem(ans, 431, "headers_too_large")
    # 64 headers in all are still served.
    ans, _ = exchange(t.srv, ("GET /abc HTTP/1.1\r\nHost: x\r\n%s\r\n" % many_headers(63)).encode(),
                      wait_close=False)
    assert ans[0] == 404, ans


def test_chunked_body_over_the_cap_gets_413_at_once(t):
    bk = t.new_brand()["api_key"]
    s = connect(t.srv)
    try:
        s.sendall(post_head(A + "/programs", bk, extra="Transfer-Encoding: chunked\r\n"))
        chunk = b"a" * 65536
        ans = None
        for i in range(40):  # 2.5 MiB at most, never the last chunk
            try:
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            s.settimeout(0.05)
            try:
                data = s.recv(65536, socket.MSG_PEEK)
            except socket.timeout:
                continue
            if data:
                break
        ans = read_answer(s)
        assert i < 39, "no answer before the body ended"
    finally:
        s.close()
    problem(ans, 413, "payload_too_large")
    # A Content-Length over the cap is refused before the body.
    ans, closed = exchange(t.srv, post_head(A + "/programs", bk, 2 * 1024 * 1024))
    problem(ans, 413, "payload_too_large")
    assert closed


def test_transfer_encoding_other_than_chunked_is_400(t):
    bk = t.new_brand()["api_key"]
    for te in ("Transfer-Encoding: chunked, identity\r\n",
               "Transfer-Encoding: identity, chunked\r\n",
               "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
               "Transfer-Encoding: gzip\r\n",
               "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"):
        ans, closed = exchange(t.srv, post_head(A + "/programs", bk, extra=te) + b"0\r\n\r\n")
        problem(ans, 400)
        assert closed, te
    # Exactly "chunked" is read.
    body = json.dumps(t.srv.program_body()).encode()
    ans, _ = exchange(t.srv, post_head(A + "/programs", bk, extra="Transfer-Encoding: chunked\r\n") +
                      b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n", wait_close=False)
    assert ans[0] == 201, ans


def test_nul_and_bytes_llhttp_refuses_are_400(t):
    bk = t.new_brand()["api_key"]
    n0 = program_count(t.srv, bk)
    body = json.dumps(t.srv.program_body()).encode()
    bad = [
        b"POST /api/v1/programs\0x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + bk.encode() +
        b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        post_head(A + "/programs", bk, len(body), extra="X-A: a\0b\r\n") + body,
        post_head(A + "/programs", bk, len(body), extra="X-A: a\x01b\r\n") + body,
        b"GET /abc\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /abc HTTP/1.1\nHost: x\n\n",
    ]
    for data in bad:
        ans, closed = exchange(t.srv, data)
        problem(ans, 400)
        assert closed, data[:40]
    assert program_count(t.srv, bk) == n0


def test_obs_folded_header_is_400(t):
    bk = t.new_brand()["api_key"]
    for data in (b"GET /abc HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
                 ("GET %s/programs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n %s\r\n\r\n" % (A, bk)).encode()):
        ans, closed = exchange(t.srv, data)
        problem(ans, 400)
        assert closed


def test_over_the_per_ip_limit_gets_503_with_retry_after(t):
    srv = t.start_server(args=["--per-ip-limit", "3"])
    held = hold(srv, 3)
    try:
        time.sleep(0.2)
        ans, closed = exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        doc = problem(ans, 503, "too_many_connections")
        assert ans[1].get("retry-after", "").isdigit(), ans[1]
        assert closed
        # Another address is not limited by this one's connections.
        s = connect(srv, source="127.0.0.2")
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(s)[0] == 200
        finally:
            s.close()
    finally:
        for s in held:
            s.close()
    # Once they are gone, the address is served again.
    deadline = time.time() + 10
    while True:
        ans, _ = exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if ans and ans[0] == 200:
            break
        assert time.time() < deadline, ans
        time.sleep(0.1)


def test_behind_a_proxy_there_is_no_per_ip_limit(t):
    srv = t.start_server(args=["--trust-proxy"])
    held = []
    try:
        held = hold(srv, 300)  # over the default 256 per address
        held[-1].sendall(b"Host: x\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n")
        assert read_answer(held[-1])[0] == 200
    finally:
        for s in held:
            s.close()
    # An explicit limit still holds.
    srv2 = t.start_server(args=["--trust-proxy", "--per-ip-limit", "2"])
    held = hold(srv2, 2)
    try:
        time.sleep(0.2)
        ans, _ = exchange(srv2, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        problem(ans, 503, "too_many_connections")
    finally:
        for s in held:
            s.close()


def test_relayed_requests_keep_alive_and_expect_continue(t):
    # Through the relay: 100 Continue from the front, a large PUT body, HEAD,
    # and several requests on one connection.
    srv = t.srv
    bk = t.new_brand()["api_key"]
    body = json.dumps(srv.program_body()).encode()
    s = connect(srv)
    try:
        s.sendall(post_head(A + "/programs", bk, len(body), extra="Expect: 100-continue\r\n"))
        st, _, _ = read_answer(s)
        assert st == 100
        s.sendall(body)
        st, _, created = read_answer(s)
        assert st == 201, created
        pid = json.loads(created)["id"]
        big = json.dumps({"name": "n", "x": "y" * 500000}).encode()
        s.sendall(("PATCH %s/programs/%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
                   % (A, pid, bk, len(big))).encode() + big)
        st, _, out = read_answer(s)
        assert st == 200 and json.loads(out)["name"] == "n", out[:200]
        s.sendall(("HEAD %s/programs/%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (A, pid, bk)).encode() +
                  ("GET %s/programs/%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (A, pid, bk)).encode())
        buf = b""
        deadline = time.time() + 10
        while buf.count(b"HTTP/1.1 200") < 2 or not buf.rstrip().endswith(b"}"):
            assert time.time() < deadline, buf[:500]
            s.settimeout(1)
            buf += s.recv(65536)
        assert buf.count(b"HTTP/1.1 200") == 2, buf[:500]
    finally:
        s.close()


def test_the_largest_head_the_front_takes_is_served(t):
    # 64 headers, 128 query parameters, just under 8 KiB: relayed, and
    # libmicrohttpd has room for all of it (no HTML 431, no close).
    bk = t.new_brand()["api_key"]
    for path, want in ((A + "/programs", 200), ("/nosuchcode", 404)):
        q = "&".join("p%d=vvvvv" % i for i in range(128))
        hdrs = "".join("X-H%d: %s\r\n" % (i, "v" * 40) for i in range(61))
        base = "GET %s?%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s" % (path, q, bk, hdrs)
        req = base + "X-Pad: %s\r\n\r\n" % ("p" * (8192 - len(base) - len("X-Pad: \r\n\r\n") - 1))
        assert len(req) < 8192
        ans, _ = exchange(t.srv, req.encode(), wait_close=False)
        assert ans is not None and ans[0] == want, (path, ans and ans[:2])


def test_a_refused_upload_still_reads_its_answer(t):
    # The client sends its whole oversized body at once, as curl does without
    # Expect: the server answers 413, then reads and drops the rest before it
    # closes (a lingering close), so the client's sending ends without a
    # reset and the close it sees is a FIN: an RST for unread bytes may make
    # a client's TCP stack discard the answer before it is read.
    import threading
    bk = t.new_brand()["api_key"]
    for head in (post_head(A + "/programs", bk, 3 * 1024 * 1024),
                 post_head(A + "/programs", bk, extra="Transfer-Encoding: chunked\r\n")):
        s = connect(t.srv)
        chunked = b"chunked" in head
        errors = []

        def pump():
            try:
                s.sendall(head)
                for _ in range(24):
                    piece = b"a" * 65536
                    s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece)
            except OSError as e:
                errors.append(e)

        th = threading.Thread(target=pump)
        th.start()
        try:
            th.join(10)
            assert not th.is_alive()
            ans = read_answer(s)
            problem(ans, 413, "payload_too_large")
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            assert s.recv(100) == b"", "more after the answer"
        finally:
            s.close()
        assert not errors, errors
