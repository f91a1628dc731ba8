"""`make mutate`: does the test suite catch the bugs users would suffer?

Each entry of tools/mutations.json is one plausible bug: a file, an exact piece of its text, the
text that replaces it, and what a user would suffer. Each is planted alone in a scratch copy of
the repository (the working tree is never touched) and the suite is run against it: a failing
run kills the mutation, a green one lets it survive. An entry whose text is no longer in its file
(the code moved) is reported as no-match, never skipped in silence: re-target it.

    .venv/bin/python tools/mutate.py [--only ID[,ID...]] [--list FILE] [--no-baseline]
    .venv/bin/python tools/mutate.py --retarget [--write]

--retarget runs nothing: for each entry whose text left its file it looks for that exact text
in lib/ and firmware/ and says where it went (--write puts the new file names into the list);
what it cannot find is listed with what a user would suffer and the nearest lines of code, to
be re-targeted by hand.

An entry may name `tests`: the tests (files or pytest node ids) that killed it before. They run
first, alone and to the end (a few seconds; the report says under which interpreters they
failed); if they pass, the whole suite runs with -x on 2 workers, likely killers
first (the guard and client tests). So a mutation that survives has had the whole suite run
against it, and `tests` is only a shortcut. Exit status 0 when the score reaches the target and
every entry matched.
"""
import argparse
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "tools", "mutations.json")
TARGET = 0.95
RUN_TIMEOUT = 600  # s for one suite run; a mutant that hangs the suite past it counts as killed
SKIP = (".git", ".venv", "build", "__pycache__", ".pytest_cache", ".hypothesis")
# test files run first: the ones most likely to fail fast on a planted bug
FIRST = ("test_guard_", "test_units", "test_http_client", "test_client_auth", "test_client_control")
SEARCHED = ("lib", "firmware")  # where --retarget looks for moved text
NEAR = 0.6  # --retarget shows lost texts' nearest lines from this likeness up (difflib ratio)
FIELDS = ("id", "area", "file", "find", "replace", "suffer")
# how a failing test's id names its interpreter (test_units.py has one test function per interpreter)
INTERPS = (("cpython", ("[cpython", "-cpython]", "test_cpython[")), ("mpy", ("[mpy", "-mpy]", "test_micropython[")))


def load(path):
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    seen = set()
    for e in entries:
        # every field a non-empty string, but `replace`, which may be "" (a deleted line)
        missing = [k for k in FIELDS if not isinstance(e.get(k), str) or not (e[k] or k == "replace")]
        if not isinstance(e.get("tests", []), list):
            missing.append("tests must be a list")
        if missing or e["find"] == e["replace"] or e["id"] in seen:
            raise SystemExit("%s: entry %r is malformed (%s)" % (path, e.get("id"), ", ".join(missing) or "dup"))
        seen.add(e["id"])
    return entries


def scratch_copy():
    where = tempfile.mkdtemp(prefix="uhomey-mutate-")
    dst = os.path.join(where, "repo")
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(*SKIP), symlinks=True)
    return where, dst


def ordered_tests(repo):
    names = sorted(n for n in os.listdir(os.path.join(repo, "host_tests"))
                   if n.startswith("test_") and n.endswith(".py"))

    def rank(n):
        for i, prefix in enumerate(FIRST):
            if n.startswith(prefix):
                return i
        return len(FIRST)

    return [os.path.join("host_tests", n) for n in sorted(names, key=rank)]


def run_suite(repo, tests, workers=2, stop_first=True):
    """(passed, what failed or a note, seconds). What failed: the first failing test, and without
    stop_first the interpreters under which tests failed (cpython, mpy)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if stop_first:
        cmd.append("-x")
    if workers > 1:
        cmd += ["-n", str(workers)]
    cmd += tests
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.monotonic()
    # a session of its own, so a hung run is stopped with its workers and micropython children
    p = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    try:
        out = p.communicate(timeout=RUN_TIMEOUT)[0]
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return False, "the suite hung past %d s" % RUN_TIMEOUT, time.monotonic() - t0
    took = time.monotonic() - t0
    if p.returncode == 0:
        return True, "", took
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    if not failed:
        return False, "pytest exited %d" % p.returncode, took
    interps = sorted({i for f in failed for i, marks in INTERPS if any(m in f for m in marks)})
    return False, failed[0] + (" (failed under %s)" % "+".join(interps) if interps else ""), took


def judge(repo, tests, first):
    """run_suite for a planted bug: its `first` test files alone, then (if they pass) the whole suite."""
    took = 0
    first = [t for t in first or () if os.path.exists(os.path.join(repo, t.split("::")[0]))]
    if first:
        ok, why, took = run_suite(repo, first, workers=1, stop_first=False)
        if not ok:
            return ok, why, took
    ok, why, more = run_suite(repo, tests)
    return ok, why, took + more


def clear_bytecode(repo):
    for d, subdirs, _ in os.walk(repo):
        if "__pycache__" in subdirs:
            shutil.rmtree(os.path.join(d, "__pycache__"), ignore_errors=True)
            subdirs.remove("__pycache__")


def plant(repo, e):
    """The file's original text after planting e's bug in it; None when e's text is not there once."""
    path = os.path.join(repo, e["file"])
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    if text.count(e["find"]) != 1:
        return None
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(e["find"], e["replace"]))
    clear_bytecode(repo)
    return text


def restore(repo, e, text):
    with open(os.path.join(repo, e["file"]), "w", encoding="utf-8") as f:
        f.write(text)


def try_one(repo, tests, e):
    """(verdict, detail, seconds) for entry e: killed, SURVIVED, survived (harmless) or no-match."""
    text = plant(repo, e)
    if text is None:
        return "no-match", "its text is not in %s exactly once: run --retarget" % e["file"], 0
    try:
        ok, why, took = judge(repo, tests, e.get("tests"))
    finally:
        restore(repo, e, text)
    if not ok:
        return "killed", why, took
    if e.get("harmless"):
        return "survived", "harmless: " + e["harmless"], took
    return "SURVIVED", "", took


def found_once(path, find):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().count(find) == 1
    except OSError:
        return False


def source_files():
    """The device code mutations live in: lib/ and firmware/, .py files."""
    out = []
    for top in SEARCHED:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            out += [os.path.relpath(os.path.join(d, f), ROOT) for f in sorted(files) if f.endswith(".py")]
    return out


def nearest(find, sources, n=2):
    """The lines of `sources` most like the first line of `find` that says something: where
    the text probably went, as 'file:line: text'."""
    want = max((ln.strip() for ln in find.splitlines()), key=len)
    scored = []
    for rel in sources:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                text = line.strip()
                # against as much of the line as the text is long: a find may be a line's start
                m = difflib.SequenceMatcher(None, want, text[:len(want) + len(want) // 4])
                if text and m.quick_ratio() >= NEAR and m.ratio() >= NEAR:
                    scored.append((m.ratio(), rel, i, text))
    scored.sort(key=lambda s: -s[0])
    return ["%s:%d: %s" % (rel, i, text[:100]) for _, rel, i, text in scored[:n]]


def retarget(entries, path, write):
    """Entries whose text moved to another file: say where (and with write, save it). What is
    lost is listed with the nearest lines, to re-target by hand."""
    sources = source_files()
    lost = []
    for e in entries:
        if found_once(os.path.join(ROOT, e["file"]), e["find"]):
            continue
        hits = [f for f in sources if found_once(os.path.join(ROOT, f), e["find"])]
        if len(hits) == 1:
            print("moved  %-32s %s -> %s" % (e["id"], e["file"], hits[0]))
            e["file"] = hits[0]
        else:
            lost.append((e, len(hits)))
    for e, n in lost:
        print("\nlost   %s (%s): %s" % (e["id"], e["file"], "found in %d files" % n if n else "text gone"))
        print("  would suffer: %s" % e["suffer"])
        print("  find:         %s" % json.dumps(e["find"])[:110])
        for hint in nearest(e["find"], sources):
            print("  nearest:      %s" % hint)
    print("\n%d entries, %d lost: %s" % (len(entries), len(lost),
                                         "re-target those by hand" if lost else "every text is where its entry says"))
    if write:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(entries, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return 1 if lost else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", default=LIST)
    ap.add_argument("--only", help="comma-separated ids")
    ap.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    ap.add_argument("--retarget", action="store_true", help="find where moved texts went; run nothing")
    ap.add_argument("--write", action="store_true", help="with --retarget: save the new file names")
    args = ap.parse_args()
    entries = load(args.list)
    if args.retarget:
        return retarget(entries, args.list, args.write)
    if args.only:
        wanted = set(args.only.split(","))
        entries = [e for e in entries if e["id"] in wanted]
    where, repo = scratch_copy()
    tests = ordered_tests(repo)
    t_start = time.monotonic()
    try:
        if not args.no_baseline:
            ok, why, took = run_suite(repo, tests)
            print("baseline (no mutation): %s in %.0f s" % ("green" if ok else "FAILS: " + why, took), flush=True)
            if not ok:
                return 2
        verdicts = []
        for i, e in enumerate(entries, 1):
            verdict, why, took = try_one(repo, tests, e)
            verdicts.append((e, verdict))
            print("[%2d/%d] %-9s %5.0fs  %-28s %s" % (i, len(entries), verdict, took, e["id"], why), flush=True)
            if verdict == "SURVIVED":
                print("         would suffer: %s" % e["suffer"], flush=True)
        return report(verdicts, time.monotonic() - t_start)
    finally:
        shutil.rmtree(where, ignore_errors=True)


def report(verdicts, seconds):
    n = {v: 0 for v in ("killed", "SURVIVED", "survived", "no-match")}
    for _, v in verdicts:
        n[v] += 1
    survived = n["SURVIVED"] + n["survived"]
    score = n["killed"] / (n["killed"] + survived) if n["killed"] + survived else 0.0
    print()
    print("killed %d, survived %d (written down as harmless: %d), no-match %d" % (
        n["killed"], survived, n["survived"], n["no-match"]))
    print("score %.1f %% (target %.0f %%), %.0f s in all" % (100 * score, 100 * TARGET, seconds))
    areas = {}
    for e, v in verdicts:
        areas.setdefault(e["area"], []).append(v)
    print("by area: " + ", ".join("%s %d/%d" % (a, vs.count("killed"), len(vs)) for a, vs in sorted(areas.items())))
    for e, v in verdicts:
        if v != "killed":
            print("  %s %s (%s): %s" % (v, e["id"], e["file"], e.get("harmless") or e["suffer"]))
    return 0 if score >= TARGET and not n["no-match"] else 1


if __name__ == "__main__":
    sys.exit(main())
