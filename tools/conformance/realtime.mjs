// Athom's homey-api against the simulator's realtime socket: does the real
// client's realtime API (Device#makeCapabilityInstance, Socket.IO v2 over
// Engine.IO 3) see the events the simulator sends?
//
//   node tools/conformance/realtime.mjs
//
// Starts the simulator (tools/sim.py, plain HTTP, an API key) on 127.0.0.1 and
// stops it again; homey-api comes from build/conformance/node_modules (or
// HOMEY_API_DIR), Python from .venv/bin/python (or PYTHON). Prints one
// "PASS name" / "FAIL name: why" line per check and exits 1 when any failed,
// 2 when it could not run. Changes are made through the simulator's HTTP API
// with plain fetch: once its socket is up, homey-api would send its own calls
// over the socket's `api` operation, which the simulator does not serve.
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

function startSimulator() {
  const child = spawn(PYTHON, [path.join(ROOT, 'tools', 'sim.py'), '--mode', 'apikey', '--scheme', 'http',
    '--ping', String(PING_MS), '--workdir', path.join(ROOT, 'build', 'conformance', 'realtime-sim')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulator printed no config')), START_MS);
    const lines = [];
    let inConfig = false;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === '{') inConfig = true;
      if (inConfig) lines.push(line);
      if (inConfig && line === '}') {
        clearTimeout(timer);
        resolve({ child, config: JSON.parse(lines.join('\n')) });
      }
    });
    child.on('exit', (code) => reject(new Error(`the simulator exited (${code})`)));
  });
}

async function api(homey, method, route, body) {
  const res = await fetch(`${homey.url}/api/manager/${route}`, {
    method,
    headers: { Authorization: `Bearer ${homey.api_key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${route}: HTTP ${res.status}`);
  return res.json();
}

// resolves with the first value `seen` holds that passes `pred`, or rejects after EVENT_MS
function arrives(seen, pred, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const hit = seen.find(pred);
      if (hit !== undefined) {
        clearInterval(timer);
        resolve(hit);
      } else if (Date.now() - started > EVENT_MS) {
        clearInterval(timer);
        reject(new Error(`no ${what} within ${EVENT_MS} ms (seen: ${JSON.stringify(seen)})`));
      }
    }, 10);
  });
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

async function main() {
  const require = createRequire(import.meta.url);
  const { HomeyAPI } = require(API_DIR);
  const { child, config } = await startSimulator();
  const homey = config.homey;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(homey.url)) throw new Error(`not a loopback URL: ${homey.url}`);
  try {
    const all = await api(homey, 'GET', 'devices/device/');
    const lamp = Object.values(all).find((d) => d.name === 'Kitchen light');
    const client = await HomeyAPI.createLocalAPI({ address: homey.url, token: homey.api_key });
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

    await check('a write named with a transactionId is echoed once', async () => {
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

    client.destroy();
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
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
