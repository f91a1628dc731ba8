'use strict';
// A real Socket.IO 2.5 server (Engine.IO 3, as a Homey runs) playing a Homey for
// realtime_client.py: uhomey's client is checked against the reference server
// implementation, not only against the simulator written by the same hands.
// socket.io comes from build/conformance/node_modules (or SOCKETIO_DIR):
//   npm install --prefix build/conformance socket.io@2.5.0
// Listens on 127.0.0.1 only and prints its port; ends with its stdin.
const http = require('http');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const SOCKETIO = process.env.SOCKETIO_DIR || path.join(ROOT, 'build', 'conformance', 'node_modules', 'socket.io');
const PING_MS = 400;          // pingInterval and pingTimeout: a client that stops pinging is cut in 0.8 s
const TOKEN = 'good-token';   // any other token is refused with code 401
const DEV = 'd1';
const URI = `homey:device:${DEV}`;

const server = http.createServer();
const io = require(SOCKETIO)(server, { pingInterval: PING_MS, pingTimeout: PING_MS });

io.on('connection', (socket) => {
  socket.on('handshakeClient', (body, ack) => {
    if (!body || body.token !== TOKEN) {
      ack({ code: 401, error: 'invalid_token', error_description: 'Invalid session or API key' });
      return;
    }
    ack(null, { namespace: '/api', success: true });
  });
});

const api = io.of('/api');
api.on('connection', (socket) => {
  socket.on('subscribe', (uri, ack) => {
    socket.join(uri);
    ack(null);
    // a change, a whole device (~70 KB: a 64-bit frame length), another change
    setTimeout(() => {
      api.to(URI).emit(URI, 'capability', { capabilityId: 'onoff', value: true, transactionId: 't1', transactionTime: Date.now() });
      api.to(URI).emit(URI, 'update', { id: DEV, name: 'n'.repeat(70000), capabilitiesObj: { dim: { id: 'dim', value: 0.25 } } });
      api.to(URI).emit(URI, 'capability', { capabilityId: 'dim', value: 0.5, transactionId: 't2', transactionTime: Date.now() });
    }, 100);
  });
});

server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
