// Athom's homey-api against the simulator's realtime socket: does the real
// client's realtime API (Device#makeCapabilityInstance, Socket.IO v2 over
// Engine.IO 3) see the events the simulator sends?
//
//   node tools/conformance/realtime.mjs
//
// Starts the simulator (realtime_sim.py beside this file: plain HTTP on
// 127.0.0.1, an API key, steered over its stdin) and stops it again; homey-api
// comes from build/conformance/node_modules (or HOMEY_API_DIR), Python from
// .venv/bin/python (or PYTHON). Prints one "PASS name" / "FAIL name: why" line
// per check and exits 1 when any failed, 2 when it could not run. Values change
// through the simulator's HTTP API with plain fetch: once its socket is up,
// homey-api would send its own calls over the socket's `api` operation, which
// the simulator does not serve.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const API_DIR = process.env.HOMEY_API_DIR || path.join(ROOT, 'build', 'conformance', 'node_modules', 'homey-api');
const PYTHON = process.env.PYTHON || path.join(ROOT, '.venv', 'bin', 'python');
const EVENT_MS = 3000;   // an event must arrive within this long
const START_MS = 15000;  // the simulator must print its config within this long
const PING_MS = 300;     // the simulator's pingInterval and pingTimeout: a client that stops pinging is cut in 0.6 s

// -> {child, homey: {url, key, id, lamp}, sim(command) -> Promise of the answer}
function startSimulator() {
  const child = spawn(PYTHON, [path.join(ROOT, 'tools', 'conformance', 'realtime_sim.py'), '--ping', String(PING_MS),
    '--workdir', path.join(ROOT, 'build', 'conformance', 'realtime-sim')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulator printed no config')), START_MS);
    let homey = null;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (homey === null) {
        homey = JSON.parse(line);
        clearTimeout(timer);
        resolve({ child, homey, sim });
      } else if (answers.length) {
        answers.shift()(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`the simulator exited (${code})`)));
  });

  function sim(command) {
    return new Promise((resolve, reject) => {
      answers.push((line) => (line.startsWith('ok ') ? resolve(JSON.parse(line.slice(3))) : reject(new Error(line))));
      child.stdin.write(`${command}\n`);
    });
  }
}

async function api(homey, method, route, body) {
  const res = await fetch(`${homey.url}/api/manager/${route}`, {
    method,
    headers: { Authorization: `Bearer ${homey.key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${route}: HTTP ${res.status}`);
  return res.json();
}

// resolves when (async) `test()` is true, or rejects after `ms`
async function until(test, what, ms = EVENT_MS) {
  const started = Date.now();
  while (!(await test())) {
    if (Date.now() - started > ms) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// `seen` (from index `from` on) gets a value that passes `pred`
function arrives(seen, pred, what, from = 0) {
  return until(() => seen.slice(from).some(pred), `${what} (seen: ${JSON.stringify(seen)})`);
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push(true);
    console.log(`PASS ${name}`);
  } catch (err) {
    results.push(false);
    console.log(`FAIL ${name}: ${err.message}`);
  }
}

// make conformance's loopback-only guard (guard.js beside this file), when it is there
function installGuard(require) {
  try {
    const guard = require('./guard.js');
    guard.install(API_DIR);
    return guard;
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && /guard\.js/.test(err.message)) return null;
    throw err;
  }
}

async function main() {
  const require = createRequire(import.meta.url);
  const guard = installGuard(require);
  const { HomeyAPI } = require(API_DIR);
  const { child, homey, sim } = await startSimulator();
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(homey.url)) throw new Error(`not a loopback URL: ${homey.url}`);
  try {
    const lamp = { id: homey.lamp };
    const client = await HomeyAPI.createLocalAPI({ address: homey.url, token: homey.key });
    const device = await client.devices.getDevice({ id: lamp.id });
    const onoff = [];
    const dim = [];
    const drops = [];
    client.on('disconnect', (reason) => drops.push(reason));

    await check('makeCapabilityInstance connects: handshakeClient, /api, subscribe', async () => {
      device.makeCapabilityInstance('onoff', (v) => onoff.push(v));
      device.makeCapabilityInstance('dim', (v) => dim.push(v));
      await device.connect();
      if (!client.isConnected()) throw new Error('homey-api reports no connection');
    });

    await check('a capability change through the API reaches the listener', async () => {
      await api(homey, 'PUT', `devices/device/${lamp.id}/capability/onoff`, { value: true });
      await arrives(onoff, (v) => v === true, 'onoff=true event');
    });

    await check('each capability instance sees only its own capability', async () => {
      await api(homey, 'PUT', `devices/device/${lamp.id}/capability/dim`, { value: 0.42 });
      await arrives(dim, (v) => v === 0.42, 'dim=0.42 event');
      if (onoff.length !== 1) throw new Error(`onoff listener saw ${JSON.stringify(onoff)}`);
    });

    await check('a PUT with a transactionId: the answer echoes it and the event arrives', async () => {
      const answer = await api(homey, 'PUT', `devices/device/${lamp.id}/capability/onoff`,
        { value: false, transactionId: 'homey-api-conformance-1' });
      if (answer.transactionId !== 'homey-api-conformance-1') throw new Error(`answer ${JSON.stringify(answer)}`);
      await arrives(onoff, (v) => v === false, 'onoff=false event');
    });

    await check('Engine.IO 3 pings: homey-api pings on time and stays connected', async () => {
      await new Promise((r) => setTimeout(r, 6 * PING_MS));
      if (drops.length || !client.isConnected()) throw new Error(`disconnected: ${drops.join(', ')}`);
      await api(homey, 'PUT', `devices/device/${lamp.id}/capability/dim`, { value: 0.7 });
      await arrives(dim, (v) => v === 0.7, 'dim=0.7 event after the pings');
    });

    await check('an update event (a rename) reaches Device#name', async () => {
      const updates = [];
      device.on('update', (props) => updates.push(props.name));
      await sim(`rename ${lamp.id} Kitchen lamp`);
      await arrives(updates, (n) => n === 'Kitchen lamp', 'update event');
      if (device.name !== 'Kitchen lamp') throw new Error(`device.name is ${device.name}`);
    });

    await check('after the drop switch homey-api reconnects, handshakes and resubscribes', async () => {
      const before = drops.length;
      const seen = onoff.length;
      if ((await sim('drop')) !== 1) throw new Error('no realtime socket to drop');
      await until(() => drops.length > before, 'disconnect event');
      await until(async () => (await sim(`subscribed ${lamp.id}`)) === 1, 'resubscribe', 10000);
      await api(homey, 'PUT', `devices/device/${lamp.id}/capability/onoff`, { value: true });
      await arrives(onoff, (v) => v === true, 'onoff=true event after the reconnect', seen);
    });

    await check('a delete event reaches Device (delete)', async () => {
      let deleted = false;
      device.on('delete', () => { deleted = true; });
      await sim(`delete ${lamp.id}`);
      await until(() => deleted, 'delete event');
    });

    client.destroy();
    if (guard) {
      await check('nothing but 127.0.0.1 was contacted (guard.js)', async () => {
        if (guard.refused.length) throw new Error(`refused: ${guard.refused.join('; ')}`);
      });
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, START_MS))]);
    child.kill('SIGTERM');
  }
}

main().then(() => {
  const failed = results.filter((ok) => !ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}, (err) => {
  console.log(`FAIL realtime conformance could not run: ${err.message}`);
  process.exit(2);
});
