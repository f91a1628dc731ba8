'use strict';
// The conformance run must never reach a real host: homey-api's defaults are
// api.athom.com, homey-<id>.local (mDNS) and *.homeylocal.com. Two layers refuse
// anything but the loopback, before any DNS lookup or packet:
// - Util.fetch, the one door every homey-api HTTP call goes through: a clear error
//   naming the URL;
// - net.Socket#connect and dgram: whatever slips past (a library's own socket,
//   mDNS multicast) fails with the same error.
// Every refusal is also recorded, so a refusal that homey-api swallows (its
// discovery pings race and ignore failures) still fails the run.

const dgram = require('dgram');
const net = require('net');

// localhost: the simulator's stand-in for homeylocal.com names (a by-name TLS check)
const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

const refused = [];

class GuardError extends Error {
  constructor(what) {
    super(`conformance guard: refused ${what} (only 127.0.0.1 and localhost may be contacted)`);
    this.name = 'GuardError';
  }
}

function isLoopback(host) {
  return LOOPBACK.has(String(host || '').replace(/^\[|\]$/g, '').toLowerCase());
}

function refuse(what) {
  refused.push(what);
  return new GuardError(what);
}

function checkUrl(url) {
  let host;
  try {
    host = new URL(String(url)).hostname;
  } catch (err) {
    throw refuse(`an unparsable URL ${JSON.stringify(String(url))}`);
  }
  if (!isLoopback(host)) throw refuse(`a request to ${host}`);
}

// net.Socket#connect(options | [options, cb] | port, host | path)
function connectHost(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];  // node's internal normalized form
  if (first && typeof first === 'object') {
    if (first.path) return 'localhost';  // a unix socket never leaves the machine
    return first.host || 'localhost';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return 'localhost';  // a unix socket path
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

function install(homeyApiDir) {
  const Util = require(`${homeyApiDir}/lib/Util`);
  const fetch = Util.fetch;
  Util.fetch = function guardedFetch(url, ...rest) {
    checkUrl(url);
    return fetch.call(this, url, ...rest);
  };

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const host = connectHost(args);
    if (!isLoopback(host)) {
      const err = refuse(`a connection to ${host}`);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return connect.apply(this, args);
  };

  dgram.createSocket = function guardedCreateSocket() {
    throw refuse('a UDP socket (mDNS discovery)');
  };
}

module.exports = { install, refused, GuardError, isLoopback };
