'use strict';
// Athom's homey-api against the uhomey simulator, check by check. Started by
// run.py (read it first): the simulator's URLs and account come in
// UHOMEY_CONFORMANCE, homey-api's folder in HOMEY_API_DIR, the simulator's CA in
// NODE_EXTRA_CA_CERTS. Each check prints "PASS name" or "FAIL name: what differed";
// the exit status is 1 when any check failed. Where homey-api and the simulator
// disagree, the simulator is what gets fixed: it is only worth what it agrees
// with the real client.

const readline = require('readline');
const guard = require('./guard');
const { validateList } = require('./schema');

const CFG = JSON.parse(process.env.UHOMEY_CONFORMANCE || '{}');
const API_DIR = process.env.HOMEY_API_DIR;
guard.install(API_DIR); // before homey-api makes its first call
const { AthomCloudAPI, HomeyAPI, Util } = require(API_DIR);
const SPEC = require(`${API_DIR}/assets/specifications/HomeyAPIV3Local.json`);

const CHECK_TIMEOUT_MS = 15000;
const RPC_TIMEOUT_MS = 10000;
// the Homey's addresses homey-api may pick: no mDNS (homey-<id>.local), no forwarded remote
const STRATEGIES = ['localSecure', 'local', 'cloud'];
// fields API v3 devices no longer carry (homey-api's v2 layer deletes them)
const V2_ONLY_DEVICE_FIELDS = ['zoneName', 'driverUri'];
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

// ---- questions to run.py about the simulator's state ----------------------------------------
const waiting = [];
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const resolve = waiting.shift();
  if (resolve) resolve(JSON.parse(line));
});

function sim(op, args = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from run.py to ${op}`)), RPC_TIMEOUT_MS);
    waiting.push((answer) => {
      clearTimeout(timer);
      if ('error' in answer) reject(new Error(`run.py ${op}: ${answer.error}`));
      else resolve(answer.ok);
    });
    process.stdout.write(`@rpc ${JSON.stringify({ op, ...args })}\n`);
  });
}

// ---- the check runner -----------------------------------------------------------------------------
const results = [];

function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// fn returns nothing (pass), a list of differences (fail when not empty), or throws (fail)
async function check(name, fn) {
  let diffs;
  try {
    diffs = (await withTimeout(Promise.resolve().then(fn), CHECK_TIMEOUT_MS, name)) || [];
  } catch (err) {
    diffs = [`${err.name || 'Error'}: ${err.message}`];
  }
  results.push(diffs.length === 0);
  console.log(diffs.length ? `FAIL ${name}: ${diffs.join('; ')}` : `PASS ${name}`);
  return diffs.length === 0;
}

function note(text) {
  console.log(`NOTE ${text}`);
}

function expect(diffs, what, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) diffs.push(`${what}: got ${g}, want ${w}`);
}

function schemaOf(manager, item) {
  return SPEC.managers[manager].items[item].schema;
}

// errors fail the check; fields the schema does not know are only noted
function holdToSchema(diffs, list, manager, item) {
  const { errors, extras } = validateList(schemaOf(manager, item), list, item);
  diffs.push(...errors);
  if (extras.length) note(`${item} fields homey-api's schema does not list: ${extras.join(', ')}`);
}

function homeyCalls(records) {
  return records.filter((r) => r.role === 'homey').map((r) => `${r.method} ${r.path} ${r.status}`);
}

// ---- the checks -------------------------------------------------------------------------------------
async function guardChecks() {
  await check('guard: homey-api default cloud URL refused before any socket', async () => {
    const real = new AthomCloudAPI({ clientId: 'x', clientSecret: 'y' });
    if (!real.baseUrl.startsWith('https://api.athom.com')) return [`default base URL is ${real.baseUrl}`];
    const before = guard.refused.length;
    try {
      await real.getAuthenticatedUser();
    } catch (err) {
      if (err instanceof guard.GuardError && guard.refused.length === before + 1) {
        guard.refused.pop(); // this one was on purpose
        return [];
      }
      return [`expected the guard's refusal, got ${err.name}: ${err.message}`];
    }
    return ['the call to api.athom.com was not refused'];
  });
  await check('guard: a raw socket to a real host refused', async () => {
    const before = guard.refused.length;
    const err = await new Promise((resolve) => {
      const s = require('net').connect({ host: 'homey.app', port: 443 });
      s.on('error', resolve);
      s.on('connect', () => resolve(null));
    });
    if (!(err instanceof guard.GuardError) || guard.refused.length !== before + 1) {
      return [`expected the guard's refusal, got ${err}`];
    }
    guard.refused.pop();
    return [];
  });
}

async function localChecks() {
  let local;
  const ok = await check('local API key over HTTPS: createLocalAPI', async () => {
    local = await HomeyAPI.createLocalAPI({ address: CFG.local_secure_url, token: CFG.api_key });
    const diffs = [];
    expect(diffs, 'id from X-Homey-ID', local.id, CFG.homey_id);
    expect(diffs, 'version from X-Homey-Version', local.version, CFG.homey_version);
    return diffs;
  });
  if (!ok) return;
  await homeyChecks(local, 'API key');
}

async function homeyChecks(homey, how) {
  const devicesBySim = await sim('devices');
  let devices = {};
  await check(`${how}: devices (API v3 shape)`, async () => {
    const diffs = [];
    const raw = await homey.call({ method: 'GET', path: '/api/manager/devices/device/' });
    holdToSchema(diffs, raw, 'ManagerDevices', 'Device');
    for (const d of Object.values(raw)) {
      const old = V2_ONLY_DEVICE_FIELDS.filter((k) => k in d);
      if (old.length) diffs.push(`${d.name} carries ${old.join(', ')}`);
    }
    devices = await homey.devices.getDevices();
    expect(diffs, 'device ids', Object.keys(devices).sort(), Object.keys(devicesBySim).sort());
    for (const [id, d] of Object.entries(devices)) expect(diffs, `name of ${id}`, d.name, devicesBySim[id].name);
    return diffs;
  });
  const lamp = Object.values(devices).find((d) => d.name === 'Kitchen light');
  await check(`${how}: capability get`, async () => {
    if (!lamp) return ['no "Kitchen light" in the device list'];
    const diffs = [];
    const dim = await homey.devices.getCapabilityValue({ deviceId: lamp.id, capabilityId: 'dim' });
    expect(diffs, 'dim by capability GET', dim, await sim('value', { device: lamp.id, cap: 'dim' }));
    expect(diffs, 'dim in capabilitiesObj', lamp.capabilitiesObj.dim.value, dim);
    try {
      await homey.devices.getCapabilityValue({ deviceId: NO_SUCH_ID, capabilityId: 'dim' });
      diffs.push('an unknown device answered');
    } catch (err) {
      expect(diffs, 'unknown device: status, error', [err.statusCode, err.message.length > 0], [404, true]);
    }
    return diffs;
  });
  await check(`${how}: capability set`, async () => {
    if (!lamp) return ['no "Kitchen light" in the device list'];
    const diffs = [];
    const before = await sim('value', { device: lamp.id, cap: 'onoff' });
    await lamp.setCapabilityValue({ capabilityId: 'onoff', value: !before });
    expect(diffs, 'onoff after Device#setCapabilityValue', await sim('value', { device: lamp.id, cap: 'onoff' }), !before);
    await homey.devices.setCapabilityValue({ deviceId: lamp.id, capabilityId: 'dim', value: 0.25 });
    expect(diffs, 'dim after setCapabilityValue', await sim('value', { device: lamp.id, cap: 'dim' }), 0.25);
    try {
      await homey.devices.setCapabilityValue({ deviceId: lamp.id, capabilityId: 'dim', value: 7 });
      diffs.push('dim 7 (out of 0..1) was accepted');
    } catch (err) {
      expect(diffs, 'status of dim 7', err.statusCode, 400);
    }
    return diffs;
  });
  await check(`${how}: zones`, async () => {
    const diffs = [];
    const raw = await homey.call({ method: 'GET', path: '/api/manager/zones/zone/' });
    holdToSchema(diffs, raw, 'ManagerZones', 'Zone');
    const zones = await homey.zones.getZones();
    const want = await sim('zones');
    const names = Object.fromEntries(Object.values(zones).map((z) => [z.id, z.name]));
    expect(diffs, 'zone names', names, want);
    if (lamp) expect(diffs, "Device#getZone's name", (await lamp.getZone()).name, want[lamp.zone]);
    return diffs;
  });
  await check(`${how}: flows list and trigger`, async () => {
    const diffs = [];
    const flows = await homey.call({ method: 'GET', path: '/api/manager/flow/flow/' });
    const advanced = await homey.call({ method: 'GET', path: '/api/manager/flow/advancedflow/' });
    holdToSchema(diffs, flows, 'ManagerFlow', 'Flow');
    holdToSchema(diffs, advanced, 'ManagerFlow', 'AdvancedFlow');
    const night = Object.values(await homey.flow.getFlows()).find((f) => f.name === 'Good night');
    const morning = Object.values(await homey.flow.getAdvancedFlows()).find((f) => f.name === 'Morning routine');
    if (!night || !morning) return ['"Good night" or "Morning routine" missing from the lists'];
    const before = (await sim('triggered')).length;
    await homey.flow.triggerFlow({ id: night.id });
    await homey.flow.triggerAdvancedFlow({ id: morning.id });
    expect(diffs, 'flows triggered', (await sim('triggered')).slice(before),
      [['flow', night.id], ['advancedflow', morning.id]]);
    return diffs;
  });
  await check(`${how}: variables list and set`, async () => {
    const diffs = [];
    const raw = await homey.call({ method: 'GET', path: '/api/manager/logic/variable/' });
    holdToSchema(diffs, raw, 'ManagerLogic', 'Variable');
    const level = Object.values(await homey.logic.getVariables()).find((v) => v.name === 'Night level');
    if (!level) return ['no "Night level" variable'];
    const value = Math.round((level.value + 0.1) * 100) / 100;
    const mark = await sim('mark');
    const updated = await homey.logic.updateVariable({ id: level.id, variable: { value } });
    expect(diffs, 'value in the answer', updated.value, value);
    expect(diffs, "the simulator's variable", (await sim('variable', { id: level.id })).value, value);
    const put = (await sim('requests', { since: mark })).filter((r) => r.method === 'PUT');
    expect(diffs, 'PUT body homey-api sends', put.map((r) => r.json), [{ value }]);
    return diffs;
  });
}

async function cloudChecks() {
  const cloud = new AthomCloudAPI({
    clientId: CFG.client_id, clientSecret: CFG.client_secret, redirectUrl: CFG.redirect_uri,
    baseUrl: CFG.api_url,
  });
  let homeyEntry;
  let homey;
  const steps = [
    ["cloud: getLoginUrl's consent URL is one the accounts site serves", async () => {
      // homey-api builds it on its own base URL; here that base is the accounts site
      const accounts = new AthomCloudAPI({
        clientId: CFG.client_id, clientSecret: CFG.client_secret, redirectUrl: CFG.redirect_uri,
        baseUrl: CFG.accounts_url,
      });
      const url = new URL(accounts.getLoginUrl());
      url.searchParams.set('user_token', await sim('user_jwt'));
      const res = await Util.fetch(url.toString());
      const page = await res.text();
      const diffs = [];
      expect(diffs, 'status', res.status, 200);
      if (!page.includes(`resource.homey.${CFG.homey_id}`)) diffs.push("the page does not offer the account's Homey");
      return diffs;
    }],
    ['cloud: authorization code exchange', async () => {
      const mark = await sim('mark');
      const token = await cloud.authenticateWithAuthorizationCode({ code: await sim('code') });
      const diffs = [];
      for (const k of ['access_token', 'refresh_token']) {
        if (typeof token[k] !== 'string' || !token[k]) diffs.push(`token has no ${k}`);
      }
      expect(diffs, 'expires_in type', typeof token.expires_in, 'number');
      const sent = (await sim('requests', { since: mark })).filter((r) => r.path === '/oauth2/token');
      expect(diffs, 'token request (auth, form fields, status)',
        sent.map((r) => [r.auth, r.form_keys, r.status]), [['Basic', ['code', 'grant_type'], 200]]);
      return diffs;
    }],
    ['cloud: user and its Homeys', async () => {
      const user = await cloud.getAuthenticatedUser();
      homeyEntry = user.getHomeyById(CFG.homey_id);
      const diffs = [];
      expect(diffs, 'Homey name', homeyEntry.name, CFG.homey_name);
      expect(diffs, 'apiVersion, platform', [homeyEntry.apiVersion, homeyEntry.platform], [3, 'local']);
      expect(diffs, 'localUrlSecure', homeyEntry.localUrlSecure, CFG.local_secure_url);
      return diffs;
    }],
    ['cloud: delegation token', async () => {
      const jwt = await cloud.createDelegationToken({ audience: 'homey' });
      const diffs = [];
      if (typeof jwt !== 'string' || jwt.split('.').length !== 3) return [`not a JWT string: ${typeof jwt}`];
      const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
      expect(diffs, 'aud', payload.aud, 'homey');
      return diffs;
    }],
    ['Homey session: Homey#authenticate (discovery, delegation, users/login, session/me)', async () => {
      const mark = await sim('mark');
      homey = await homeyEntry.authenticate({ strategy: STRATEGIES });
      const diffs = [];
      expect(diffs, 'address picked', [homey.strategyId, await homey.baseUrl], ['localSecure', CFG.local_secure_url]);
      const me = await homey.sessions.getSessionMe();
      expect(diffs, 'session type', me.type, 'session');
      const calls = homeyCalls(await sim('requests', { since: mark }));
      if (!calls.some((c) => c.startsWith('POST /api/manager/users/login 200'))) {
        diffs.push(`no users/login among ${calls.join(', ')}`);
      }
      return diffs;
    }],
  ];
  for (const [name, fn] of steps) {
    if (!(await check(name, fn))) return; // each step needs the one before
  }
  await homeyChecks(homey, 'Homey session');
  await refreshChecks(cloud, homey);
  homey.destroy();
}

async function refreshChecks(cloud, homey) {
  await check('refresh: expired access token -> refresh_token grant, call retried', async () => {
    await sim('expire_access_tokens');
    const mark = await sim('mark');
    const user = await cloud.getAuthenticatedUser({ $cache: false });
    const diffs = [];
    expect(diffs, 'user after refresh has the Homey', user.homeys.some((h) => h.id === CFG.homey_id), true);
    const grants = (await sim('requests', { since: mark })).filter((r) => r.path === '/oauth2/token');
    expect(diffs, 'token requests', grants.map((r) => [r.grant_type, r.auth, r.status]),
      [['refresh_token', 'Basic', 200]]);
    return diffs;
  });
  await check('refresh: expired Homey session -> new delegation and session, call retried', async () => {
    await sim('expire_homey_sessions');
    const mark = await sim('mark');
    const zones = await homey.zones.getZones();
    const diffs = [];
    expect(diffs, 'zones after renewal', Object.keys(zones).length, Object.keys(await sim('zones')).length);
    const calls = homeyCalls(await sim('requests', { since: mark })).map((c) => c.replace(/[0-9a-f-]{36}/g, '<id>'));
    expect(diffs, 'Homey calls', calls, ['GET /api/manager/zones/zone 401', 'POST /api/manager/users/login 200',
      'GET /api/manager/sessions/session/me 200', 'GET /api/manager/zones/zone 200']);
    return diffs;
  });
  await check('refresh: both expired -> refresh, delegation, session, call retried', async () => {
    await sim('expire_access_tokens');
    await sim('expire_homey_sessions');
    const mark = await sim('mark');
    const flows = await homey.flow.getFlows();
    const diffs = [];
    expect(diffs, 'flows after renewal', Object.keys(flows).length > 0, true);
    const grants = (await sim('requests', { since: mark })).filter((r) => r.path === '/oauth2/token');
    expect(diffs, 'token requests', grants.map((r) => [r.grant_type, r.status]), [['refresh_token', 200]]);
    return diffs;
  });
}

async function main() {
  for (const k of ['api_url', 'api_key', 'local_secure_url', 'homey_id']) {
    if (!CFG[k]) throw new Error(`UHOMEY_CONFORMANCE has no ${k}: start this through run.py`);
  }
  await guardChecks();
  await localChecks();
  await cloudChecks();
  await check('no host other than 127.0.0.1/localhost was tried', () => guard.refused.slice());
  const passed = results.filter(Boolean).length;
  console.log(`${passed}/${results.length} checks passed (homey-api ${require(`${API_DIR}/package.json`).version})`);
  return passed === results.length ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  console.log(`FAIL conformance run: ${err.stack || err}`);
  process.exit(1);
});
