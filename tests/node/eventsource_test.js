#!/usr/bin/env node
// A standard client on vigil's snapshot stream: the npm `eventsource` package (v2, the
// WHATWG EventSource for Node) connects, receives snapshots with increasing ids, and when the
// daemon restarts on the same port it reconnects on its own and sends Last-Event-ID, which the
// server answers with the new daemon's snapshot marked as a resync.
//
//   node tests/node/eventsource_test.js path/to/vigil
//
// Exit 0 on success; 1 with a message (and the daemons' output) on failure. Every wait is
// bounded, and the daemons are killed whatever happens.
'use strict';

const { spawn } = require('child_process');
const os = require('os');
const path = require('path');

let EventSource;
try {
  EventSource = require('eventsource');
} catch (err) {
  console.error(
    'eventsource_test: the npm package "eventsource" is not installed in ' +
      path.join(__dirname, 'node_modules') +
      '\n  install it with: npm ci --prefix tests/node   (make deps does this)\n  (' +
      err.message.split('\n')[0] +
      ')');
  process.exit(1);
}

const vigil = process.argv[2];
if (!vigil) {
  console.error('usage: node eventsource_test.js PATH_TO_VIGIL');
  process.exit(2);
}

const TOTAL_TIMEOUT_MS = 90000;
const daemons = [];
let source = null;
let checks = 0;

function killAll() {
  if (source) source.close();
  for (const d of daemons) {
    if (d.exitCode === null) {
      try {
        d.proc.kill('SIGKILL');
      } catch (_) {
        // already gone
      }
    }
  }
}

function fail(message) {
  console.error('FAIL: ' + message);
  for (const d of daemons) {
    console.error('--- vigil serve --listen ' + d.listen + ' (exit ' + d.exitCode + '):');
    console.error(d.output.trimEnd());
  }
  killAll();
  process.exit(1);
}

function check(condition, what) {
  if (!condition) fail(what);
  checks += 1;
  console.log('ok ' + checks + ' - ' + what);
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => fail('interrupted by ' + sig));
}
process.on('uncaughtException', (err) => fail('uncaught: ' + (err && err.stack ? err.stack : err)));
process.on('unhandledRejection', (err) => fail('unhandled: ' + (err && err.stack ? err.stack : err)));
const overall = setTimeout(() => fail('the whole test took over ' + TOTAL_TIMEOUT_MS / 1000 + ' s'),
                           TOTAL_TIMEOUT_MS);

/// Resolves once `predicate()` holds; rejects after `timeoutMs` naming `what`.
function waitFor(predicate, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      let value;
      try {
        value = predicate();
      } catch (err) {
        reject(err);
        return;
      }
      if (value) resolve(value);
      else if (Date.now() >= deadline) reject(new Error('timed out after ' + timeoutMs + ' ms waiting for ' + what));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

/// Starts `vigil serve --listen LISTEN --tick-interval 50ms`; resolves with its port and epoch
/// once it prints "vigil: node N epoch E listening on http://127.0.0.1:PORT".
async function startDaemon(listen) {
  const proc = spawn(vigil, ['serve', '--listen', listen, '--tick-interval', '50ms'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const d = { proc, listen, output: '', exitCode: null, port: 0, epoch: '' };
  daemons.push(d);
  proc.stdout.on('data', (b) => { d.output += b.toString(); });
  proc.stderr.on('data', (b) => { d.output += b.toString(); });
  proc.on('error', (err) => { d.output += 'spawn error: ' + err.message + '\n'; d.exitCode = -1; });
  proc.on('exit', (code, signal) => { d.exitCode = code === null ? 128 + (os.constants.signals[signal] || 0) : code; });
  const m = await waitFor(
    () => {
      const found = /epoch ([0-9a-f]+) listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(d.output);
      if (!found && d.exitCode !== null) throw new Error('vigil exited with ' + d.exitCode + ' before listening');
      return found;
    },
    20000, 'vigil serve --listen ' + listen + ' to listen');
  d.epoch = m[1];
  d.port = Number(m[2]);
  return d;
}

async function stopDaemon(d) {
  d.proc.kill('SIGTERM');
  await waitFor(() => d.exitCode !== null, 15000, 'the daemon to exit after SIGTERM');
  return d.exitCode;
}

/// `epoch:version` -> {epoch, version}; null when malformed.
function parseId(id) {
  const m = /^([0-9a-f]+):(\d+)$/.exec(id || '');
  return m ? { epoch: m[1], version: Number(m[2]) } : null;
}

async function main() {
  const first = await startDaemon('127.0.0.1:0');
  const url = 'http://127.0.0.1:' + first.port + '/v1/stream/snapshots';

  const snapshots = [];
  const closes = [];
  const errors = [];
  let opens = 0;
  source = new EventSource(url);
  source.onopen = () => { opens += 1; };
  source.onerror = (e) => { errors.push((e && (e.status || e.message)) || 'error'); };
  source.addEventListener('snapshot', (e) => {
    snapshots.push({ id: e.lastEventId, data: JSON.parse(e.data) });
  });
  source.addEventListener('close', (e) => { closes.push(JSON.parse(e.data)); });

  // 1. Snapshots with ids <epoch>:<version>, versions strictly increasing.
  await waitFor(() => snapshots.length >= 3, 10000, 'three snapshot events');
  const early = snapshots.slice(0, 3);
  check(opens === 1 && source.readyState === EventSource.OPEN, 'the EventSource opened once');
  check(early.every((s) => parseId(s.id) && parseId(s.id).epoch === first.epoch),
        'snapshot ids are <epoch>:<version> with the daemon\'s epoch ' + first.epoch +
          ' (' + early.map((s) => s.id).join(', ') + ')');
  check(early.every((s) => s.data.epoch === first.epoch && s.data.version === parseId(s.id).version),
        'each snapshot\'s data carries the epoch and version of its id');
  check(early.every((s, i) => i === 0 || parseId(s.id).version > parseId(early[i - 1].id).version),
        'versions strictly increase');
  check(early.every((s) => s.data.resync === false), 'a first connection gets no resync');

  // 2. The daemon restarts on the same port: the stream gets a close event, then EOF.
  check((await stopDaemon(first)) === 0, 'the first daemon exits 0 on SIGTERM');
  const lastBefore = snapshots[snapshots.length - 1].id;
  // The daemon's final event: usually there, but it does not yet guarantee that the event is
  // written before it stops the server, so its absence is reported, not failed.
  if (closes.length > 0) {
    check(closes[0].reason === 'shutting down', 'the stream ended with close {reason: "shutting down"}');
  } else {
    console.log('note: the stream ended without the daemon\'s close event');
  }
  const second = await startDaemon('127.0.0.1:' + first.port);
  check(second.port === first.port && second.epoch !== first.epoch,
        'a new daemon (epoch ' + second.epoch + ') listens on the same port ' + second.port);

  // 3. The client reconnects on its own (after the server's retry hint) and sends
  //    Last-Event-ID: the server marks the new daemon's first snapshot as a resync, which it
  //    does only for a client that named an id it cannot resume from.
  const after = () => snapshots.filter((s) => parseId(s.id) && parseId(s.id).epoch === second.epoch);
  await waitFor(() => after().length >= 3, 15000, 'three snapshots from the restarted daemon');
  const resumed = after();
  check(opens === 2 && source.readyState === EventSource.OPEN,
        'the EventSource reconnected by itself (opens: ' + opens + ', errors seen: ' + errors.length + ')');
  check(source.reconnectInterval === 2000, 'it honoured the server\'s retry: 2000 hint');
  check(resumed[0].data.resync === true,
        'the first snapshot after the reconnect is a resync (the server saw Last-Event-ID ' + lastBefore + ')');
  check(resumed[0].data.epoch === second.epoch && resumed[0].data.epoch !== first.epoch,
        'it carries the new epoch');
  check(resumed.slice(1).every((s) => s.data.resync === false), 'later snapshots are not resyncs');
  check(resumed.every((s, i) => i === 0 || parseId(s.id).version > parseId(resumed[i - 1].id).version),
        'versions strictly increase after the reconnect');

  source.close();
  source = null;
  check((await stopDaemon(second)) === 0, 'the second daemon exits 0 on SIGTERM');
  clearTimeout(overall);
  console.log(checks + ' passed, 0 failed');
}

main().catch((err) => fail(err && err.message ? err.message : String(err)));
