#!/usr/bin/env python3
"""
run.py: runs every test of tracklink against one or more build dirs.

    tests/run.py --build build [--build build-asan] [-k PATTERN] [--jobs N]

For each build dir:
  - every executable DIR/test_* (cmocka unit tests), one test each; its
    output is shown only when it fails;
  - every function test_*(t) in tests/*/test_*.py against DIR/tracklink,
    with one server per module (see tests/lib/tl.py);
  - the browser tests tests/ui/*.test.mjs (node --test, playwright-core
    driving Debian's chromium; scripts/ui-deps.sh installs both), once, on
    the first build dir whose name does not contain "asan": each node test
    counts as one test, and what a test prints with t.diagnostic (its
    figures) is shown as a "note" line.
Prints "ok   <build> <module>::<name> (0.12s)" or "FAIL ..." with the
traceback and the server's last output lines, and last of all one line
"N passed, N failed". Exits 1 when anything failed, 2 on a usage error.

In a build dir whose name contains "asan", processes run with
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 and
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1, and a sanitizer report in
a server's output at shutdown fails the module.

With --fuzz DIR (a build with -Dfuzz=true, clang, ASan+UBSan), every
libFuzzer driver DIR/fuzz/fuzz_* runs for FUZZ_TEST_SECONDS on its corpus
fuzz/corpus/<name>/ (new inputs go to a temporary dir): one test
"fuzz::<name>" each, failed by a crash, a sanitizer report or a timeout.

-k PATTERN selects tests whose "<module>::<name>" (or unit executable name)
contains PATTERN.
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import importlib.util
import inspect
import json
import os
import subprocess
import shutil
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True  # keep the source tree clean
TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(TESTS, "lib"))

import tl  # noqa: E402

UNIT_TIMEOUT = 300
FUZZ_TEST_SECONDS = 7  # per driver: about a minute for all of them
UI_TIMEOUT = 1200

_print_lock = threading.Lock()
_counts = {"passed": 0, "failed": 0}


def report(ok, build, name, secs, detail=None):
    with _print_lock:
        _counts["passed" if ok else "failed"] += 1
        tag = "ok  " if ok else "FAIL"
        print("%s %s %s (%.2fs)" % (tag, build, name, secs), flush=True)
        if not ok and detail:
            print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)


def selected(name, pattern):
    if not pattern:
        return True
    return pattern in name or fnmatch.fnmatch(name, pattern)


# ------------------------------------------------------------- unit tests


def unit_tests(build):
    out = []
    for p in sorted(glob.glob(os.path.join(build, "test_*"))):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            out.append(p)
    return out


def run_unit(build, exe):
    name = "unit::" + os.path.basename(exe)
    env = dict(os.environ)
    env.update(tl.sanitizer_env(os.path.join(build, "tracklink")))
    start = time.time()
    try:
        p = subprocess.run([os.path.abspath(exe)], env=env, cwd=build, capture_output=True,
                           text=True, errors="replace", timeout=UNIT_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        out = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
        report(False, build, name, time.time() - start,
               "timed out after %ds\n%s" % (UNIT_TIMEOUT, out[-4000:]))
        return
    output = (p.stdout or "") + (p.stderr or "")
    rep = tl.sanitizer_report(output)
    ok = p.returncode == 0 and rep is None
    detail = None
    if not ok:
        why = "exit status %d" % p.returncode if p.returncode else "sanitizer report: %s" % rep
        detail = "%s\n%s" % (why, output[-6000:])
    report(ok, build, name, time.time() - start, detail)


def run_fuzz(build, exe):
    name = "fuzz::" + os.path.basename(exe)[len("fuzz_"):]
    corpus = os.path.join(os.path.dirname(TESTS), "fuzz", "corpus", name[len("fuzz::"):])
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="tl-fuzz-") as tmp:
        cmd = [os.path.abspath(exe), "-max_total_time=%d" % FUZZ_TEST_SECONDS, "-timeout=25",
               "-artifact_prefix=%s/" % tmp, tmp, corpus]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                               timeout=FUZZ_TEST_SECONDS + UNIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            report(False, build, name, time.time() - start, "timed out")
            return
        crashes = [f for f in os.listdir(tmp) if f.startswith(("crash-", "leak-", "timeout-", "oom-"))]
        ok = p.returncode == 0 and not crashes
        detail = None
        if not ok:
            kept = os.path.join(build, "fuzz-failed")
            os.makedirs(kept, exist_ok=True)
            for f in crashes:
                shutil.copy(os.path.join(tmp, f), os.path.join(kept, name[6:] + "-" + f))
            detail = "exit status %d; the input is kept in %s\n%s" % (p.returncode, kept,
                                                                     p.stderr[-6000:])
        report(ok, build, name, time.time() - start, detail)


# ------------------------------------------------------ integration tests


def discover_modules():
    paths = []
    for p in sorted(glob.glob(os.path.join(TESTS, "*", "test_*.py"))):
        if os.path.basename(os.path.dirname(p)) == "lib":
            continue
        paths.append(p)
    return paths


def module_label(path):
    rel = os.path.relpath(path, TESTS)
    return rel[:-3].replace(os.sep, "/")


_import_lock = threading.Lock()


def load_module(path):
    name = "tltest_" + module_label(path).replace("/", "_")
    with _import_lock:
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
        return mod


def test_functions(mod):
    fns = []
    for name, fn in vars(mod).items():
        if name.startswith("test_") and inspect.isfunction(fn) and fn.__module__ == mod.__name__:
            fns.append((fn.__code__.co_firstlineno, name, fn))
    return [(n, f) for _, n, f in sorted(fns)]


def run_module(build, path, pattern, tests):
    label = module_label(path)
    binary = os.path.join(build, "tracklink")
    opts = dict(getattr(sys.modules.get("tltest_" + label.replace("/", "_")), "SERVER", {}) or {})
    srv = None

    def start_server():
        return tl.Server(binary, **opts)

    t0 = time.time()
    try:
        srv = start_server()
    except BaseException:
        tb = traceback.format_exc()
        for name, _ in tests:
            report(False, build, "%s::%s" % (label, name), time.time() - t0,
                   "module server did not start:\n" + tb)
        return

    try:
        for name, fn in tests:
            full = "%s::%s" % (label, name)
            ctx = tl.Context(srv, binary, build)
            start = time.time()
            ok, detail = True, None
            try:
                fn(ctx)
            except KeyboardInterrupt:
                raise
            except BaseException:
                ok, detail = False, traceback.format_exc()
            try:
                ctx.close()
            except BaseException:
                if ok:
                    ok, detail = False, traceback.format_exc()
            if not srv.alive:
                rc = srv.proc.returncode if srv.proc else None
                srv._finish()
                rep = tl.sanitizer_report(srv.log)
                why = "the module server died during this test (exit status %s%s)" % (
                    rc, ", sanitizer: " + rep if rep else "")
                detail = (detail or "") + "\n" + why
                ok = False
            if not ok:
                detail = detail + "\n" + ctx.tails(30)
            report(ok, build, full, time.time() - start, detail)
            if not srv.alive:
                srv.cleanup()
                try:
                    srv = start_server()
                except BaseException:
                    srv = None
                    report(False, build, "%s::<server restart>" % label, 0, traceback.format_exc())
                    return
    finally:
        if srv is not None:
            start = time.time()
            try:
                if srv.alive:
                    srv.stop()
            except BaseException:
                report(False, build, "%s::<server shutdown>" % label, time.time() - start,
                       traceback.format_exc())
            finally:
                srv.cleanup()


# ---------------------------------------------------------- browser tests


def ui_files(pattern):
    files = sorted(glob.glob(os.path.join(TESTS, "ui", "*.test.mjs")))
    return [f for f in files
            if selected("ui/" + os.path.basename(f)[:-len(".test.mjs")], pattern)]


def run_ui(build, files):
    root = os.path.dirname(TESTS)
    start = time.time()
    missing = [p for p in ("node_modules/playwright-core", "node_modules/axe-core")
               if not os.path.isdir(os.path.join(root, p))]
    if missing or not os.path.exists("/usr/bin/chromium"):
        report(False, build, "ui::<setup>", 0,
               "the browser tests need node_modules (npm ci) and /usr/bin/chromium: "
               "run scripts/ui-deps.sh (make test does)")
        return
    env = dict(os.environ)
    env["TL_BUILD"] = os.path.abspath(build)
    env["TL_SHOTS"] = os.path.abspath(os.path.join(build, "ui-shots"))
    cmd = ["node", "--test", "--test-concurrency=1",
           "--test-reporter=" + os.path.join(TESTS, "ui", "lib", "reporter.mjs"),
           "--test-reporter-destination=stdout"] + files
    try:
        p = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                           errors="replace", timeout=UI_TIMEOUT)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err, rc = "timed out after %ds" % UI_TIMEOUT, None
    seen = 0
    for line in out.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        label = "ui/" + os.path.basename(ev.get("file") or "?").replace(".test.mjs", "")
        if ev.get("type") in ("pass", "fail"):
            seen += 1
            report(ev["type"] == "pass", build, "%s::%s" % (label, ev.get("name")),
                   (ev.get("duration") or 0) / 1000.0, ev.get("error"))
        elif ev.get("type") == "skip":
            with _print_lock:
                print("skip %s %s::%s (%s)" % (build, label, ev.get("name"), ev.get("skip") or ""),
                      flush=True)
        elif ev.get("type") == "diag":
            with _print_lock:
                print("note %s %s: %s" % (build, label, ev.get("message")), flush=True)
    if rc != 0 and seen == 0 or rc is None:
        report(False, build, "ui::<node --test>", time.time() - start,
               "exit status %s\n%s\n%s" % (rc, out[-3000:], (err or "")[-3000:]))


# -------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description="Runs tracklink's unit and integration tests.")
    ap.add_argument("--build", action="append", required=True, metavar="DIR",
                    help="a build dir holding tracklink and test_* (repeatable)")
    ap.add_argument("-k", dest="pattern", default=None,
                    help="run only tests whose <module>::<name> contains PATTERN")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel modules (max 2)")
    ap.add_argument("--no-unit", action="store_true", help="skip the cmocka executables")
    ap.add_argument("--no-ui", action="store_true", help="skip the browser tests (tests/ui)")
    ap.add_argument("--fuzz", action="append", default=[], metavar="DIR",
                    help="a -Dfuzz=true build dir: each fuzz_* driver briefly (repeatable)")
    args = ap.parse_args()

    for b in args.build:
        if not os.path.isdir(b):
            print("run.py: build dir %r does not exist (build it first: make build)" % b,
                  file=sys.stderr)
            return 2
        exe = os.path.join(b, "tracklink")
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            print("run.py: %r has no executable 'tracklink' (the build is incomplete or failed)" % b,
                  file=sys.stderr)
            return 2

    jobs = []  # (callable, args)
    for b in args.build:
        if not args.no_unit:
            for exe in unit_tests(b):
                if selected("unit::" + os.path.basename(exe), args.pattern):
                    jobs.append((run_unit, (b, exe)))
        for path in discover_modules():
            label = module_label(path)
            try:
                mod = load_module(path)
            except BaseException:
                report(False, b, "%s::<import>" % label, 0, traceback.format_exc())
                continue
            tests = [(n, f) for n, f in test_functions(mod)
                     if selected("%s::%s" % (label, n), args.pattern)]
            if tests:
                jobs.append((run_module, (b, path, args.pattern, tests)))

    for b in args.fuzz:
        for exe in sorted(glob.glob(os.path.join(b, "fuzz", "fuzz_*"))):
            if os.path.isfile(exe) and os.access(exe, os.X_OK) and \
                    selected("fuzz::" + os.path.basename(exe)[5:], args.pattern):
                jobs.append((run_fuzz, (b, exe)))

    ui_build = next((b for b in args.build if "asan" not in os.path.basename(os.path.normpath(b))),
                    None)
    files = ui_files(args.pattern) if ui_build and not args.no_ui else []
    if files:
        # first: it is the longest job, and runs beside the others
        jobs.insert(0, (run_ui, (ui_build, files)))

    workers = max(1, min(2, args.jobs))
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futs = [pool.submit(fn, *a) for fn, a in jobs]
        for f in concurrent.futures.as_completed(futs):
            try:
                f.result()
            except BaseException:
                report(False, "-", "<runner>", 0, traceback.format_exc())
    sys.stdout.flush()
    print("(%.1fs)" % (time.time() - start), file=sys.stderr)
    print("%d passed, %d failed" % (_counts["passed"], _counts["failed"]), flush=True)
    return 1 if _counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
