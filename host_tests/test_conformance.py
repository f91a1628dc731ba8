"""`make conformance` under pytest: Athom's homey-api (node) against the simulator.

Skipped without node or without homey-api in build/conformance (`make conformance`
installs it there). The run itself checks that nothing but 127.0.0.1/localhost is
contacted; the second test shows that guard refusing homey-api's own default hosts.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFORMANCE = os.path.join(ROOT, "tools", "conformance")
HOMEY_API = os.path.join(ROOT, "build", "conformance", "node_modules", "homey-api")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    not NODE or not os.path.isfile(os.path.join(HOMEY_API, "package.json")),
    reason="needs node and homey-api in build/conformance (make conformance)")


def test_homey_api_agrees_with_the_simulator():
    r = subprocess.run([sys.executable, os.path.join(CONFORMANCE, "run.py")], capture_output=True,
                       text=True, timeout=240)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and not [x for x in lines if x.startswith("FAIL")], r.stdout + r.stderr
    passed = [x for x in lines if x.startswith("PASS")]
    assert len(passed) >= 20, r.stdout
    for name in ("guard: homey-api default cloud URL refused", "variables list and set",
                 "refresh: both expired", "no host other than 127.0.0.1/localhost was tried"):
        assert any(name in x for x in passed), (name, r.stdout)


GUARD_PROBE = """
const guard = require(%(guard)s);
guard.install(%(api)s);
const { HomeyAPI, AthomCloudAPI } = require(%(api)s);
const tries = [
  () => HomeyAPI.createLocalAPI({ address: 'http://homey-0123456789abcdef01234567.local', token: 't' }),
  () => new AthomCloudAPI({ clientId: 'c', clientSecret: 's' }).authenticateWithAuthorizationCode({ code: 'x' }),
  () => new Promise((resolve, reject) => require('https').get('https://api.athom.com/', resolve).on('error', reject)),
];
(async () => {
  const out = [];
  for (const t of tries) {
    try { await t(); out.push('reached'); } catch (err) { out.push(err.name); }
  }
  console.log(JSON.stringify({ out, refused: guard.refused }));
})();
"""


def test_the_guard_refuses_homey_apis_real_hosts_before_any_lookup():
    script = GUARD_PROBE % {"guard": json.dumps(os.path.join(CONFORMANCE, "guard.js")),
                            "api": json.dumps(HOMEY_API)}
    r = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=30)
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["out"] == ["GuardError"] * 3, r.stdout + r.stderr
    assert [x.split(" to ")[-1] for x in got["refused"]] == [
        "homey-0123456789abcdef01234567.local", "api.athom.com", "api.athom.com"]
