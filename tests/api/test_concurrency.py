"""
test_concurrency.py: many clients at once against one SQLite database.
Every write must succeed (no 5xx, no "database is locked"/"busy" leaking
out), and every object must be there afterwards.
"""

import threading

from tl import A, expect

CLIENTS = 64
PER_CLIENT = 5


def run_threads(n, fn):
    """Runs fn(i) in n threads released together; returns the exceptions."""
    barrier = threading.Barrier(n)
    errors = []
    lock = threading.Lock()

    def body(i):
        try:
            barrier.wait(30)
            fn(i)
        except BaseException as e:  # reported by the caller
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(180)
    assert not any(th.is_alive() for th in threads), "some clients hung"
    return errors


def no_busy(text):
    low = text.lower()
    return "busy" not in low and "locked" not in low


def test_64_clients_create_5_campaigns_each(t):
    k = t.new_brand()["api_key"]
    prog = t.new_program(k)
    results = [[] for _ in range(CLIENTS)]
    log_before = len(t.srv.log)

    def client(i):
        # Each thread gets its own keep-alive connection (thread-local).
        for j in range(PER_CLIENT):
            r = t.post(A + "/programs/%d/campaigns" % prog["id"],
                       t.campaign_body(name="c-%d-%d" % (i, j)), key=k)
            results[i].append(r)

    errors = run_threads(CLIENTS, client)
    assert not errors, "client errors: %r" % errors[:3]
    answers = [r for rs in results for r in rs]
    assert len(answers) == CLIENTS * PER_CLIENT
    bad = [r for r in answers if r.status != 201]
    assert not bad, "%d of %d answers were not 201, e.g. %r" % (len(bad), len(answers), bad[:3])
    for r in answers:
        assert no_busy(r.text), r
    ids = [r.json["id"] for r in answers]
    assert len(set(ids)) == len(ids), "duplicate ids"
    names = {r.json["name"] for r in answers}
    assert len(names) == CLIENTS * PER_CLIENT

    listed = t.list_all(A + "/campaigns?program_id=%d" % prog["id"], k, limit=100)
    assert sorted(c["id"] for c in listed) == sorted(ids)
    assert [c["id"] for c in listed] == sorted(c["id"] for c in listed), "not ascending"
    assert {c["name"] for c in listed} == names
    log = t.srv.log[log_before:]
    assert no_busy(log), "server log mentions busy/locked:\n" + log[-3000:]


def test_concurrent_repeated_membership_is_one_201(t):
    k = t.new_brand()["api_key"]
    prog = t.new_program(k)
    partner = t.new_partner()
    statuses = []
    lock = threading.Lock()

    def client(i):
        r = t.post(A + "/programs/%d/partners" % prog["id"], {"partner_id": partner["id"]}, key=k)
        with lock:
            statuses.append((r.status, r.text))

    errors = run_threads(16, client)
    assert not errors, errors[:3]
    codes = sorted(s for s, _ in statuses)
    assert codes.count(201) == 1 and codes.count(200) == 15, statuses[:5]
    members = t.list_all(A + "/programs/%d/partners" % prog["id"], k)
    assert [m["partner_id"] for m in members] == [partner["id"]]


def test_concurrent_mixed_reads_and_writes(t):
    brands = [t.new_brand()["api_key"] for _ in range(4)]
    progs = [t.new_program(k) for k in brands]
    failures = []
    lock = threading.Lock()

    def client(i):
        k, p = brands[i % 4], progs[i % 4]
        for j in range(5):
            if j % 2:
                r = t.get(A + "/programs/%d" % p["id"], key=k)
                ok = r.status == 200 and r.json["id"] == p["id"]
            else:
                r = t.post(A + "/programs/%d/landing-pages" % p["id"],
                           {"name": "lp-%d-%d" % (i, j), "url": "https://www.acme.test/%d/%d" % (i, j)}, key=k)
                ok = r.status == 201
            if not ok or not no_busy(r.text):
                with lock:
                    failures.append(r)

    errors = run_threads(32, client)
    assert not errors, errors[:3]
    assert not failures, failures[:3]
    total = sum(len(t.list_all(A + "/programs/%d/landing-pages" % p["id"], k)) for k, p in zip(brands, progs))
    assert total == 32 * 3, total


def test_concurrent_brand_creation(t):
    made = []
    lock = threading.Lock()

    def client(i):
        b = expect(t.post(A + "/brands", {"name": "cc-%d" % i}, key=t.admin_key), 201)
        with lock:
            made.append(b)

    errors = run_threads(32, client)
    assert not errors, errors[:3]
    assert len({b["id"] for b in made}) == 32
    assert len({b["api_key"] for b in made}) == 32
    for b in made:
        expect(t.get(A + "/programs", key=b["api_key"]), 200)
