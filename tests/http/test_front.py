"""
test_front.py: the redirect front (src/http/front.c) and its hand-off to
libmicrohttpd, seen from the wire: pipelined redirects answered in order,
a keep-alive connection that goes on from redirects to the API (and the
other way), requests that arrive in pieces, Connection: close, HEAD on a
kept-alive connection, what the front leaves to MHD (HTTP/1.0, no Host,
oversized headers), and pipelining with --click-durability sync, where
an answer waits for its commit.
"""

import http.client
import os
import re
import socket
import time

from tl import A, expect

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


def link_code(srv):
    """A program_default campaign's automatic short link: its code."""
    brand = srv.new_brand()
    partner = srv.new_partner()
    bk = brand["api_key"]
    prog = srv.new_program(bk)
    camp = srv.new_campaign(bk, prog["id"], tracking={"landing_page_mode": "program_default"})
    srv.join_program(bk, prog["id"], partner["id"])
    srv.join_campaign(bk, camp["id"], partner["id"])
    task = srv.new_task(bk, camp["id"])
    srv.assign_task(bk, task["id"], partner["id"])
    links = srv.list_all(A + "/tasks/%d/links?partner_id=%d" % (task["id"], partner["id"]), bk)
    assert links, "no automatic link"
    return links[0]["code"], bk


def get_req(path, host="x", extra=""):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n%s\r\n" % (path, host, UA, extra)).encode()


def read_answers(sock, n, timeout=5.0, heads=()):
    """Reads n HTTP answers off sock; returns [(status, headers dict, body)].
    heads: indexes of answers to HEAD requests (no body whatever the length)."""
    buf = b""
    out = []
    deadline = time.time() + timeout
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            assert time.time() < deadline, "only %d of %d answers: %r" % (len(out), n, buf[:300])
            sock.settimeout(max(0.01, deadline - time.time()))
            chunk = sock.recv(65536)
            assert chunk, "closed after %d of %d answers: %r" % (len(out), n, buf[:300])
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        length = 0 if len(out) in heads else int(hdrs.get("content-length", "0"))
        while len(buf) < length:
            assert time.time() < deadline, "body cut short"
            sock.settimeout(max(0.01, deadline - time.time()))
            chunk = sock.recv(65536)
            assert chunk, "closed in a body"
            buf += chunk
        out.append((status, hdrs, buf[:length]))
        buf = buf[length:]
    return out


def click_id(hdrs):
    m = re.search(r"[?&]clickid=([^&#]+)", hdrs.get("location", ""))
    assert m, "no click id in %r" % hdrs.get("location")
    return m.group(1)


def connect(srv):
    return socket.create_connection((srv.host, srv.port), timeout=5)


def test_pipelined_redirects_answered_in_order(t):
    code, _ = link_code(t.srv)
    s = connect(t.srv)
    try:
        s.sendall(b"".join(get_req("/%s?subId1=n%d" % (code, i)) for i in range(5)))
        answers = read_answers(s, 5)
    finally:
        s.close()
    ids = set()
    for i, (status, hdrs, _) in enumerate(answers):
        assert status == 302, answers[i]
        assert "date" in hdrs, hdrs
        ids.add(click_id(hdrs))
    assert len(ids) == 5, ids


def test_keepalive_goes_from_redirects_to_the_api_and_back(t):
    code, bk = link_code(t.srv)
    c = http.client.HTTPConnection(t.srv.host, t.srv.port, timeout=10)
    try:
        for _ in range(2):
            c.request("GET", "/" + code, headers={"User-Agent": UA})
            r = c.getresponse()
            r.read()
            assert r.status == 302, r.status
        c.request("GET", A + "/programs", headers={"Authorization": "Bearer " + bk})
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body[:300])
        assert b'"data"' in body, body[:300]
        # The connection is libmicrohttpd's now; redirects still work on it.
        c.request("GET", "/" + code, headers={"User-Agent": UA})
        r = c.getresponse()
        r.read()
        assert r.status == 302 and "clickid=" in r.getheader("Location", ""), r.status
    finally:
        c.close()


def test_pipelined_redirect_then_api_in_one_write(t):
    code, bk = link_code(t.srv)
    s = connect(t.srv)
    try:
        s.sendall(get_req("/" + code) + get_req("/healthz") +
                  get_req(A + "/programs", extra="Authorization: Bearer %s\r\n" % bk))
        answers = read_answers(s, 3)
    finally:
        s.close()
    assert [a[0] for a in answers] == [302, 200, 200], [(a[0], a[2][:100]) for a in answers]
    assert b'"data"' in answers[2][2]


def test_request_in_pieces(t):
    code, _ = link_code(t.srv)
    req = get_req("/" + code)
    s = connect(t.srv)
    try:
        for i in range(0, len(req), 7):
            s.sendall(req[i:i + 7])
            time.sleep(0.01)
        (status, hdrs, _), = read_answers(s, 1)
    finally:
        s.close()
    assert status == 302 and click_id(hdrs)


def test_connection_close_is_honoured(t):
    code, _ = link_code(t.srv)
    s = connect(t.srv)
    try:
        s.sendall(get_req("/" + code, extra="Connection: close\r\n"))
        (status, hdrs, _), = read_answers(s, 1)
        assert status == 302
        assert hdrs.get("connection", "").lower() == "close", hdrs
        s.settimeout(5)
        assert s.recv(100) == b"", "the server kept the connection open"
    finally:
        s.close()


def test_head_then_get_on_one_connection(t):
    code, _ = link_code(t.srv)
    s = connect(t.srv)
    try:
        s.sendall(get_req("/" + code).replace(b"GET ", b"HEAD ", 1) + get_req("/nosuchcode1"))
        answers = read_answers(s, 2, heads=(0,))
    finally:
        s.close()
    assert answers[0][0] == 302 and answers[0][2] == b""
    assert answers[1][0] == 404
    assert int(answers[1][1]["content-length"]) == len(answers[1][2]) > 0
    assert b"<html" in answers[1][2].lower()


def test_http10_and_missing_host_left_to_libmicrohttpd(t):
    code, _ = link_code(t.srv)
    out = t.srv.raw(("GET /%s HTTP/1.0\r\nUser-Agent: %s\r\n\r\n" % (code, UA)).encode(), timeout=5)
    assert re.match(rb"HTTP/1\.[01] 302 ", out), out[:200]
    assert b"clickid=" in out
    out = t.srv.raw(("GET /%s HTTP/1.1\r\nUser-Agent: %s\r\n\r\n" % (code, UA)).encode(), timeout=5,
                    read_all=False)
    assert re.match(rb"HTTP/1\.[01] 400 ", out), out[:200]


def test_oversized_header_does_not_stop_the_server(t):
    code, _ = link_code(t.srv)
    big = get_req("/" + code, extra="X-Big: %s\r\n" % ("a" * 20000))
    out = t.srv.raw(big, timeout=5, read_all=False)
    # libmicrohttpd answers 431 or closes; it never redirects such a request.
    assert out == b"" or re.match(rb"HTTP/1\.[01] 431 ", out), out[:200]
    s = connect(t.srv)
    try:
        s.sendall(get_req("/" + code))
        (status, _, _), = read_answers(s, 1)
    finally:
        s.close()
    assert status == 302


def test_sync_pipelined_answers_wait_for_their_commit_in_order(t):
    srv = t.start_server(args=["--click-durability", "sync"])
    code, bk = link_code(srv)
    s = connect(srv)
    try:
        s.sendall(b"".join(get_req("/%s?subId1=s%d" % (code, i)) for i in range(4)) +
                  get_req(A + "/programs", extra="Authorization: Bearer %s\r\n" % bk))
        answers = read_answers(s, 5, timeout=10)
    finally:
        s.close()
    assert [a[0] for a in answers] == [302, 302, 302, 302, 200], [a[0] for a in answers]
    # stored before it was answered (nothing waits here), each with its own sub id
    for i, (_, hdrs, _) in enumerate(answers[:4]):
        rows = srv.clicks(click_id=click_id(hdrs))
        assert [r["sub_id1"] for r in rows] == ["s%d" % i], (i, rows)


def metric(srv, name):
    """A value of GET /metrics (0 when absent)."""
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    try:
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
    finally:
        c.close()
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else 0


def test_redirects_are_the_fronts_and_the_api_is_handed_off(t):
    srv = t.start_server()
    code, bk = link_code(srv)
    # A link not cached yet is looked up by a worker: libmicrohttpd's.
    out = srv.raw(get_req("/" + code, extra="Connection: close\r\n"), timeout=5)
    assert re.match(rb"HTTP/1\.1 302 ", out), out[:200]
    answers0 = metric(srv, "tracklink_front_answers_total")
    handoffs0 = metric(srv, "tracklink_front_handoffs_total")
    s = connect(srv)
    try:
        s.sendall(b"".join(get_req("/" + code) for _ in range(10)))
        assert [a[0] for a in read_answers(s, 10)] == [302] * 10
    finally:
        s.close()
    assert metric(srv, "tracklink_front_answers_total") - answers0 == 10
    # /metrics itself and the API calls above went to libmicrohttpd.
    handoffs = metric(srv, "tracklink_front_handoffs_total")
    assert handoffs > handoffs0, (handoffs0, handoffs)
    expect(srv.get(A + "/programs", key=bk), 200)
    assert metric(srv, "tracklink_front_answers_total") - answers0 == 10


def test_request_then_shutdown_gets_its_answer_and_a_close(t):
    code, _ = link_code(t.srv)
    # Cached first: a miss hands the connection to libmicrohttpd.
    assert t.srv.raw(get_req("/" + code, extra="Connection: close\r\n")).startswith(b"HTTP/1.1 302")
    for _ in range(3):
        s = connect(t.srv)
        try:
            # A first exchange, so that the connection waits in the front's
            # epoll set when the request and the FIN arrive together.
            s.sendall(get_req("/" + code))
            assert read_answers(s, 1)[0][0] == 302
            s.sendall(get_req("/" + code))
            s.shutdown(socket.SHUT_WR)
            data = b""
            deadline = time.time() + 5
            while True:
                assert time.time() < deadline, "no close within 5 s after the answer: %r" % data[:200]
                s.settimeout(max(0.01, deadline - time.time()))
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        assert data.count(b"HTTP/1.1 302 ") == 1, data[:400]


def test_out_of_descriptors_pauses_accepting_instead_of_spinning(t):
    import tl as tlmod

    class Limited(tlmod.Server):
        def argv(self):
            return ["prlimit", "--nofile=160:160", "--"] + super().argv()

    s = Limited(t.binary, start=False)
    t.servers.append(s)
    s.start()
    code, _ = link_code(s)
    held = []
    try:
        for _ in range(300):
            try:
                held.append(socket.create_connection((s.host, s.port), timeout=2))
            except OSError:
                break
        time.sleep(0.3)
        ticks = os.sysconf("SC_CLK_TCK")

        def cpu():
            with open("/proc/%d/stat" % s.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        before = cpu()
        time.sleep(2)
        spent = cpu() - before
    finally:
        for c in held:
            c.close()
    assert spent < 0.5, "the server burned %.2f s of CPU in 2 s while out of descriptors" % spent
    # Once descriptors are free again, it serves (the listener rests at most a second or two).
    deadline = time.time() + 5
    while True:
        out = s.raw(get_req("/" + code, extra="Connection: close\r\n"), timeout=2, read_all=False)
        if out.startswith(b"HTTP/1.1 302"):
            break
        assert time.time() < deadline, "not serving after descriptors came back: %r" % out[:100]
        time.sleep(0.2)
    assert "pausing accepts" in s.log, s.log[-2000:]


def test_many_pipelined_requests_all_answered(t):
    # Short requests with long answers (the 404 page of an unknown code, cached
    # as such), read slowly: the answers outgrow the front's output cap and
    # the socket's buffer, and none may be lost.
    missing = "/zzzzzzz"
    assert t.srv.raw(get_req(missing, extra="Connection: close\r\n")).startswith(b"HTTP/1.1 404")
    n = 400
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((t.srv.host, t.srv.port))
    try:
        # All in one peek (16 KiB), answered past the output cap.
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % missing).encode() * n)
        time.sleep(0.3)
        answers = read_answers(s, n, timeout=15)
    finally:
        s.close()
    assert all(a[0] == 404 for a in answers), {a[0] for a in answers}


def clicked(srv, code):
    """A stored click on code: its id."""
    out = srv.raw(get_req("/" + code, extra="Connection: close\r\n"), timeout=5)
    m = re.search(rb"[?&]clickid=([^&#\r\n]+)", out)
    assert m, out[:300]
    cid = m.group(1).decode()
    srv.wait_clicks_stored()
    return cid


def post_req(path, key, body):
    data = body.encode()
    return ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (path, key, len(data))).encode() + data


def test_conversions_are_answered_by_the_front(t):
    import json
    srv = t.start_server()
    code, bk = link_code(srv)
    # Cached first: the link, and the key (a key the front has not seen goes to libmicrohttpd).
    cid = clicked(srv, code)
    expect(srv.get(A + "/programs", key=bk), 200)
    answers0 = metric(srv, "tracklink_front_answers_total")
    body = lambda order, amount=1000: json.dumps({"click_id": cid, "order_id": order, "amount": amount})
    s = connect(srv)
    try:
        s.sendall(b"".join(post_req(A + "/conversions", bk, body("fo-%d" % i)) for i in range(5)))
        got = read_answers(s, 5, timeout=10)
        assert [a[0] for a in got] == [201] * 5, got
        ids = {json.loads(a[2])["id"] for a in got}
        assert len(ids) == 5
        s.sendall(post_req(A + "/conversions", bk, body("fo-0")) +
                  post_req(A + "/conversions", bk, body("fo-0", 999)) +
                  post_req(A + "/conversions", bk, json.dumps({"click_id": "nosuchclick0000000000", "order_id": "x", "amount": 1})))
        got = read_answers(s, 3, timeout=10)
    finally:
        s.close()
    assert got[0][0] == 200 and json.loads(got[0][2])["order_id"] == "fo-0", got[0]
    assert got[1][0] == 409 and json.loads(got[1][2])["code"] == "duplicate_order", got[1]
    assert got[2][0] == 404 and json.loads(got[2][2])["code"] == "click_not_found", got[2]
    assert metric(srv, "tracklink_front_answers_total") - answers0 == 8


def test_conversion_then_redirect_pipelined_keep_their_order(t):
    import json
    code, bk = link_code(t.srv)
    cid = clicked(t.srv, code)
    expect(t.srv.get(A + "/programs", key=bk), 200)
    s = connect(t.srv)
    try:
        s.sendall(post_req(A + "/conversions", bk, json.dumps({"click_id": cid, "order_id": "po-1", "amount": 5})) +
                  get_req("/" + code))
        got = read_answers(s, 2, timeout=10)
    finally:
        s.close()
    assert [a[0] for a in got] == [201, 302], got


def test_conversion_of_a_client_that_left_is_still_stored(t):
    import json
    code, bk = link_code(t.srv)
    cid = clicked(t.srv, code)
    expect(t.srv.get(A + "/programs", key=bk), 200)
    for i in range(5):
        s = connect(t.srv)
        s.sendall(post_req(A + "/conversions", bk, json.dumps({"click_id": cid, "order_id": "gone-%d" % i, "amount": 7})))
        s.close()
    deadline = time.time() + 10
    while True:
        got = t.srv.list_all(A + "/conversions", bk)
        n = len([c for c in got if c["order_id"].startswith("gone-")])
        if n == 5:
            break
        assert time.time() < deadline, "%d of 5 conversions stored" % n
        time.sleep(0.05)
    expect(t.srv.get(A + "/programs", key=bk), 200)
