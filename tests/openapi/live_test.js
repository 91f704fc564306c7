#!/usr/bin/env node
// vigil's answers against its contract: a real daemon (127.0.0.1, a temporary data directory,
// --test-hooks) is driven through every route but the streams' bodies, errors included (400s
// naming their field, 404, 405, 409, 413), and every answer is checked against the OpenAPI
// document the daemon serves (GET /v1/openapi.json, built from docs/openapi.yaml): its status
// must be documented for the route and method, and its JSON body must validate against the
// schema given for that status (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
//
//   node tests/openapi/live_test.js path/to/vigil
//
// Exit 0 when every answer conforms; 1 naming each route, status and schema error otherwise.
// Every wait is bounded (a readiness condition polled against a deadline), and the daemon is
// killed and its data directory removed whatever happens.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

let Ajv2020;
let addFormats;
try {
  Ajv2020 = require('ajv/dist/2020');
  addFormats = require('ajv-formats');
} catch (err) {
  console.error('live_test: the npm packages of tests/openapi are not installed in ' +
                path.join(__dirname, 'node_modules') +
                '\n  install them with: npm ci --prefix tests/openapi   (make deps does this)\n  (' +
                err.message.split('\n')[0] + ')');
  process.exit(1);
}

const vigil = process.argv[2];
if (!vigil) {
  console.error('usage: node live_test.js PATH_TO_VIGIL');
  process.exit(2);
}

// What the document describes ahead of this branch: the lead engineer is adding it on main.
// A `request` entry names requests (marked `pending:` below with the same text) that are sent
// but whose answers are not judged while the entry is here; a `field` entry is a member the
// document requires that this branch does not send yet, not required while the entry is here.
// Each skip prints a note. Remove an entry when main brings its code: from then on those
// requests are judged like all others (status, schema and their own checks).
const pendingOnMain = [];
const pendingRequests = new Set(pendingOnMain.filter((p) => p.kind === 'request').map((p) => p.what));

const TOTAL_TIMEOUT_MS = 90000;
const MAX_BODY = 4096;
let daemon = null;
let dataDir = null;

function cleanUp() {
  if (daemon && daemon.exitCode === null) {
    try {
      daemon.proc.kill('SIGKILL');
    } catch (_) {
      // already gone
    }
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
}

function abort(message) {
  console.error('FAIL: ' + message);
  if (daemon) console.error('--- vigil serve (exit ' + daemon.exitCode + '):\n' + daemon.output.trimEnd());
  cleanUp();
  process.exit(1);
}

process.on('exit', cleanUp);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => abort('interrupted by ' + sig));
process.on('unhandledRejection', (err) => abort('unhandled: ' + (err && err.stack ? err.stack : err)));
const overall = setTimeout(() => abort('the whole test took over ' + TOTAL_TIMEOUT_MS / 1000 + ' s'),
                           TOTAL_TIMEOUT_MS);

/// Resolves with predicate()'s first truthy value (it may be async); rejects after timeoutMs.
async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error('timed out after ' + timeoutMs + ' ms waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startDaemon() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-openapi-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dataDir, 'data'),
                '--tick-interval', '50ms', '--test-hooks', '--max-body', String(MAX_BODY),
                '--node', 'openapi-test'];
  const proc = spawn(vigil, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  daemon = { proc, output: '', exitCode: null, port: 0 };
  proc.stdout.on('data', (b) => { daemon.output += b.toString(); });
  proc.stderr.on('data', (b) => { daemon.output += b.toString(); });
  proc.on('error', (err) => { daemon.output += 'spawn error: ' + err.message + '\n'; daemon.exitCode = -1; });
  proc.on('exit', (code, signal) => {
    daemon.exitCode = code === null ? 128 + (os.constants.signals[signal] || 0) : code;
  });
  const m = await waitFor(() => {
    if (daemon.exitCode !== null) throw new Error('vigil exited with ' + daemon.exitCode + ' before listening');
    return /listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(daemon.output);
  }, 20000, 'vigil serve to listen');
  daemon.port = Number(m[1]);
  // Ready: a snapshot exists and the scheduler runs, so commands are decided, not refused.
  await waitFor(async () => (await fetch(base() + '/readyz')).status === 200, 20000, '/readyz to answer 200');
}

async function stopDaemon() {
  daemon.proc.kill('SIGTERM');
  await waitFor(() => daemon.exitCode !== null, 15000, 'the daemon to exit after SIGTERM');
  return daemon.exitCode;
}

function base() {
  return 'http://127.0.0.1:' + daemon.port;
}

// ---- the contract ---------------------------------------------------------------------------

let doc = null;
let ajv = null;
const compiled = new Map();

/// The document as this branch can meet it: the pending fields are not required.
function relaxPending(document) {
  const copy = JSON.parse(JSON.stringify(document));
  const drop = (node, field) => {
    if (Array.isArray(node)) return node.forEach((n) => drop(n, field));
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node.required)) node.required = node.required.filter((f) => f !== field);
    for (const [key, value] of Object.entries(node)) if (key !== 'required') drop(value, field);
  };
  for (const p of pendingOnMain.filter((e) => e.kind === 'field')) {
    const schema = copy.components.schemas[p.schema];
    if (!schema) abort('pendingOnMain names schema ' + p.schema + ', which the document does not have');
    drop(schema, p.field);
    console.log('note: pending on main, not required yet: ' + p.schema + '.' + p.field);
  }
  return copy;
}

function pointer(...parts) {
  return '#/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/// The object at a local JSON pointer of the document.
function at(ref) {
  let node = doc;
  for (const raw of ref.replace(/^#\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === undefined || node === null) return undefined;
    node = node[key];
  }
  return node;
}

/// Follows `$ref`s; returns [pointer, object].
function deref(ref) {
  let node = at(ref);
  while (node && node.$ref) {
    ref = node.$ref;
    node = at(ref);
  }
  return [ref, node];
}

/// The documented response of an operation for a status: exact, then 4XX-style, then default.
function responseFor(template, method, status) {
  const op = pointer('paths', template, method.toLowerCase());
  if (!at(op)) return null;
  for (const code of [String(status), String(status)[0] + 'XX', 'default']) {
    const ref = op + '/responses/' + code;
    if (at(ref)) return deref(ref);
  }
  return undefined;
}

function validator(schemaRef) {
  if (!compiled.has(schemaRef)) compiled.set(schemaRef, ajv.getSchema('openapi.json' + schemaRef));
  return compiled.get(schemaRef);
}

// ---- requests and their verdicts ------------------------------------------------------------

const failures = [];
const covered = new Set();  // "METHOD template" of judged answers
let judged = 0;

function fail(what, message) {
  failures.push(what + ': ' + message);
  console.log('not ok - ' + what + ': ' + message);
}

/**
 * Sends one request and judges its answer against the document.
 *   template: the documented path ("/v1/jobs/{id}"), or null for a path that is no route
 *   target:   what is sent ("/v1/jobs/backup?limit=1")
 *   expect:   the status this request must get
 *   pending:  a pendingOnMain request name: sent, not judged
 *   check:    (status, body, headers) => string|undefined, a further expectation
 */
async function call(request) {
  return judge(request, await send(request));
}

async function send({ method = 'GET', target, body, headers = {} }) {
  const init = { method, headers: { ...headers }, redirect: 'manual' };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(base() + target, init);
  return { res, text: await res.text() };
}

function judge({ method = 'GET', template, target, expect, pending, check }, { res, text }) {
  const what = method + ' ' + target;
  const type = (res.headers.get('content-type') || '').split(';')[0].trim();
  let json;
  if (/json$/.test(type) && text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch (err) {
      fail(what, res.status + ' with a body that is not JSON: ' + err.message);
      return {};
    }
  }
  if (pending && pendingRequests.has(pending)) {
    console.log('note: pending on main, not judged: ' + pending + ' (' + what + ' answered ' + res.status + ')');
    return { status: res.status, json, headers: res.headers };
  }
  judged += 1;
  const label = what + ' -> ' + res.status;
  if (res.status !== expect) fail(label, 'expected ' + expect + (text ? ': ' + text.slice(0, 300) : ''));
  let schemaRef;
  if (template === null || (res.status === 405 && !at(pointer('paths', template, method.toLowerCase())))) {
    // No operation answers these: the document's description says their body is an Error.
    schemaRef = '#/components/schemas/Error';
    if (res.status === 405 && !res.headers.get('allow')) fail(label, '405 without an Allow header');
  } else {
    const found = responseFor(template, method, res.status);
    if (found === null) return fail(label, 'the document has no ' + method + ' ' + template), {};
    if (found === undefined) return fail(label, 'status ' + res.status + ' is not documented for ' + method + ' ' + template), {};
    covered.add(method + ' ' + template);
    const [responseRef, response] = found;
    if (method === 'HEAD' || res.status === 304) {
      if (text.length > 0) fail(label, 'a body on a HEAD or 304 answer');
    } else if (response.content) {
      if (!response.content[type]) {
        fail(label, 'Content-Type ' + type + ' is not documented (' + Object.keys(response.content).join(', ') + ')');
      } else if (json !== undefined) {
        schemaRef = responseRef + '/content/' + type.replace(/~/g, '~0').replace(/\//g, '~1') + '/schema';
      }
    } else if (text.length > 0) {
      fail(label, 'a body where the document has no content');
    }
  }
  if (schemaRef && json !== undefined) {
    const validate = validator(schemaRef);
    if (!validate) return fail(label, 'no schema at ' + schemaRef), {};
    if (!validate(json)) {
      for (const e of validate.errors.slice(0, 5)) {
        fail(label, 'schema ' + schemaRef + ': ' + (e.instancePath || '(the body)') + ' ' + e.message +
             (e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''));
      }
    }
  }
  if (check) {
    const problem = check(res.status, json, res.headers, text);
    if (problem) fail(label, problem);
  }
  return { status: res.status, json, headers: res.headers };
}

/// A 400 must name this field.
const names = (field) => (status, body) =>
  body && body.field === field ? undefined : 'expected field ' + JSON.stringify(field) + ', got ' + JSON.stringify(body);

// ---- the drive ------------------------------------------------------------------------------

const backup = {
  id: 'backup',
  schedule: '30 2 * * *',
  time_zone: 'Europe/Berlin',
  command: { argv: ['/bin/echo', 'backup'], env: { TARGET: 's3://bucket' } },
  description: 'nightly backup',
  timeout: '2h',
  retry: { max_attempts: 3, initial_backoff: '30s' },
};
const flaky = {
  id: 'flaky',
  schedule: '@every 1h',
  command: { shell: 'echo attempt; exit 3' },
  retry: { max_attempts: 2, initial_backoff: '50ms' },
};
const tooLarge = JSON.stringify({ reason: 'x'.repeat(MAX_BODY) });

async function drive() {
  const g = (template, target, expect, extra = {}) => call({ template, target, expect, ...extra });

  // Probes, metrics and build information.
  for (const [template, target, expect, extra] of [
    ['/health', '/health', 200],
    ['/health', '/health', 200, { headers: { Accept: 'application/json' } }],
    ['/health', '/health?x=%zz', 400],
    ['/livez', '/livez', 200],
    ['/livez', '/livez?verbose', 200],
    ['/readyz', '/readyz?verbose=1', 200],
    ['/readyz', '/readyz?%zz', 400],
    ['/metrics', '/metrics', 200],
    ['/v1/version', '/v1/version', 200],
    ['/v1/openapi.json', '/v1/openapi.json', 200],
    ['/ui', '/ui', 200],
    ['/ui/{asset}', '/ui/console.js', 200],
    ['/ui/{asset}', '/ui/console.css', 200],
    ['/ui/{asset}', '/ui/nope.js', 404],
  ]) {
    await g(template, target, expect, extra);
  }

  // The scheduler's pause and resume.
  const post = (template, target, body, expect, extra = {}) =>
    call({ method: 'POST', template, target, body, expect, ...extra });
  await post('/v1/scheduler/pause', '/v1/scheduler/pause', { reason: 'maintenance window' }, 200,
             { check: (s, b) => (b.changed === true ? undefined : 'changed should be true') });
  await post('/v1/scheduler/pause', '/v1/scheduler/pause', undefined, 200,
             { check: (s, b) => (b.changed === false ? undefined : 'an idempotent pause changes nothing') });
  await post('/v1/scheduler/pause', '/v1/scheduler/pause', { reason: 'x', until: 'later' }, 400, { check: names('/until') });
  await post('/v1/scheduler/pause', '/v1/scheduler/pause', '{not json', 400);
  await post('/v1/scheduler/pause', '/v1/scheduler/pause', tooLarge, 413);
  await post('/v1/scheduler/resume', '/v1/scheduler/resume', '', 200);
  await post('/v1/scheduler/resume', '/v1/scheduler/resume', { reason: 42 }, 400, { check: names('/reason') });
  await post('/v1/scheduler/resume', '/v1/scheduler/resume', tooLarge, 413);

  // Jobs: define, conflict, refuse.
  await post('/v1/jobs', '/v1/jobs', backup, 201);
  await post('/v1/jobs', '/v1/jobs', flaky, 201);
  await post('/v1/jobs', '/v1/jobs', backup, 409, { check: names('/id') });
  await post('/v1/jobs', '/v1/jobs', { ...backup, id: 'x', schedule: '0 0 32 * *' }, 400, { check: names('/schedule') });
  await post('/v1/jobs', '/v1/jobs', { id: 'x', schedule: '@daily', comand: {} }, 400, { check: names('/comand') });
  await post('/v1/jobs', '/v1/jobs', '[1]', 400);
  await post('/v1/jobs', '/v1/jobs', tooLarge, 413);
  await post('/v1/jobs', '/v1/jobs?dry_run=true', { ...backup, id: 'dry' }, 201, {
    check: (s, b) => (b.dry_run === true && b.id === 'dry' ? undefined : 'a dry run says so'),
    pending: 'POST /v1/jobs?dry_run=true',
  });
  await g('/v1/jobs/{id}', '/v1/jobs/dry', 404, { pending: 'POST /v1/jobs?dry_run=true' });
  await post('/v1/jobs', '/v1/jobs?dry_run=true', { ...backup, id: 'dry', schedule: '0 0 32 * *' }, 400, {
    check: names('/schedule'),
    pending: 'POST /v1/jobs?dry_run=true',
  });
  await post('/v1/jobs', '/v1/jobs?dry_run=true', backup, 409, {
    check: names('/id'),
    pending: 'POST /v1/jobs?dry_run=true',
  });
  await post('/v1/jobs', '/v1/jobs', { id: 'never', schedule: '@at 2000-01-01T00:00:00Z', command: { argv: ['/bin/true'] } }, 201, {
    check: (s, b) => (b.warnings.some((w) => w.field === '/schedule') ? undefined : 'a schedule that never fires is warned of'),
  });

  // Lists and one job.
  await g('/v1/jobs', '/v1/jobs', 200, {
    check: (s, b) => (['backup', 'flaky'].every((id) => b.jobs.some((j) => j.id === id)) && b.total === b.jobs.length
      ? undefined : 'backup and flaky, and total counting every job'),
  });
  await g('/v1/jobs', '/v1/jobs?limit=1', 200, { check: (s, b) => (b.next === 'backup' ? undefined : 'next should be backup') });
  await g('/v1/jobs', '/v1/jobs?after=backup&prefix=fl', 200);
  await g('/v1/jobs', '/v1/jobs?status=paused', 200);
  await g('/v1/jobs', '/v1/jobs?limit=0', 400, { check: names('limit') });
  await g('/v1/jobs', '/v1/jobs?status=bogus', 400, { check: names('status') });
  await g('/v1/jobs', '/v1/jobs?limit=%zz', 400);
  await g('/v1/jobs', '/v1/jobs?full=true&limit=1', 200, {
    check: (s, b) => (b.jobs.length === 1 && b.jobs[0].spec && b.next === b.jobs[0].id ? undefined : 'full job objects, paged'),
    pending: 'GET /v1/jobs?full=true',
  });
  await g('/v1/jobs', '/v1/jobs?status=completed', 200, { pending: 'GET /v1/jobs?status=completed' });
  await g('/v1/jobs/{id}', '/v1/jobs/backup', 200);
  await g('/v1/jobs/{id}', '/v1/jobs/nope', 404);
  await g('/v1/jobs/{id}', '/v1/jobs/%zz', 400);

  // Replace, create, no-op, refuse.
  const put = (target, body, expect, extra = {}) =>
    call({ method: 'PUT', template: '/v1/jobs/{id}', target, body, expect, ...extra });
  await put('/v1/jobs/backup', { ...backup, description: 'nightly backup, full' }, 200,
            { check: (s, b) => (b.revision === 2 ? undefined : 'revision should be 2') });
  await put('/v1/jobs/backup', { ...backup, description: 'nightly backup, full' }, 200,
            { check: (s, b) => (b.revision === 2 ? undefined : 'an identical PUT writes nothing') });
  const { id: _unused, ...withoutId } = backup;
  await put('/v1/jobs/spare', withoutId, 201);
  await put('/v1/jobs/backup', { ...backup, id: 'other' }, 400, { check: names('/id') });
  await put('/v1/jobs/backup', { ...backup, retry: { max_attempts: 0 } }, 400, { check: names('/retry/max_attempts') });
  await put('/v1/jobs/backup', tooLarge, 413);
  await put('/v1/jobs/backup?dry_run=true', { ...backup, description: 'changed in a dry run' }, 200, {
    check: (s, b) => (b.dry_run === true && b.revision === 3 ? undefined : 'a dry run answers the revision it would make'),
  });
  await g('/v1/jobs/{id}', '/v1/jobs/backup', 200,
          { check: (s, b) => (b.revision === 2 ? undefined : 'a dry run writes nothing') });
  await put('/v1/jobs/brand-new?dry_run=true', withoutId, 201, { pending: 'PUT /v1/jobs/{id}?dry_run=true' });
  await g('/v1/jobs/{id}', '/v1/jobs/brand-new', 404, { pending: 'PUT /v1/jobs/{id}?dry_run=true' });

  // A manual run that fails twice (two attempts), then its records.
  const run = await post('/v1/jobs/{id}/run', '/v1/jobs/flaky/run', undefined, 200);
  const runId = run.json && run.json.run_id;
  if (!runId) abort('the manual run of flaky has no run_id: ' + JSON.stringify(run.json));
  await post('/v1/jobs/{id}/run', '/v1/jobs/flaky/run', { overlap: 'nope' }, 400, { check: names('/overlap') });
  await post('/v1/jobs/{id}/run', '/v1/jobs/flaky/run', { overlap: 'skip', extra: 1 }, 400, { check: names('/extra') });
  await post('/v1/jobs/{id}/run', '/v1/jobs/nope/run', undefined, 404);
  await post('/v1/jobs/{id}/run', '/v1/jobs/flaky/run', tooLarge, 413);
  const runPath = '/v1/jobs/flaky/runs/' + encodeURIComponent(runId);
  await waitFor(async () => {
    const r = await fetch(base() + runPath);
    return r.status === 200 && (await r.json()).status === 'failed';
  }, 20000, 'the run ' + runId + ' to end failed after its retry');
  await g('/v1/jobs/{id}/runs/{run_id}', runPath, 200,
          { check: (s, b) => (b.attempt === 2 && b.output.includes('attempt') ? undefined : 'two attempts with output') });
  await g('/v1/jobs/{id}/runs/{run_id}', '/v1/jobs/flaky/runs/' + runId, 200);  // '@' as is
  await g('/v1/jobs/{id}/runs/{run_id}', '/v1/jobs/flaky/runs/flaky@20000101T000000Z', 404);
  await g('/v1/jobs/{id}/runs/{run_id}', '/v1/jobs/nope/runs/x', 404);
  await g('/v1/jobs/{id}/runs/{run_id}', '/v1/jobs/flaky/runs/%zz', 400);
  // Its output, from the record now that it ended: bytes from a position, the end, errors.
  const outPath = runPath + '/output';
  await g('/v1/jobs/{id}/runs/{run_id}/output', outPath, 200,
          { check: (s, b) => (b.ended && b.end && b.output.includes('attempt') && b.next_offset === b.total
            ? undefined : 'the whole output, ended') });
  await g('/v1/jobs/{id}/runs/{run_id}/output', outPath + '?offset=3&max=2', 200,
          { check: (s, b) => (b.offset === 3 && b.output.length === 2 && !b.ended ? undefined : 'two bytes from 3') });
  await g('/v1/jobs/{id}/runs/{run_id}/output', outPath + '?offset=-1', 400, { check: names('offset') });
  await g('/v1/jobs/{id}/runs/{run_id}/output', outPath + '?wait=99999', 400, { check: names('wait') });
  await g('/v1/jobs/{id}/runs/{run_id}/output', '/v1/jobs/flaky/runs/nope/output', 404);
  await g('/v1/jobs/{id}/runs', '/v1/jobs/flaky/runs', 200,
          { check: (s, b) => (b.runs.length === 1 && !('output' in b.runs[0]) ? undefined : 'one run, without output') });
  await g('/v1/jobs/{id}/runs', '/v1/jobs/flaky/runs?limit=101', 400, { check: names('limit') });
  await g('/v1/jobs/{id}/runs', '/v1/jobs/nope/runs', 404);
  await g('/v1/jobs/{id}/runs', '/v1/jobs//runs', 400, { check: names('id') });
  await g('/v1/jobs/{id}/decisions', '/v1/jobs/flaky/decisions', 200);
  await g('/v1/jobs/{id}/decisions', '/v1/jobs/flaky/decisions?limit=1&before=999', 200);
  await g('/v1/jobs/{id}/decisions', '/v1/jobs/flaky/decisions?before=x', 400, { check: names('before') });
  await g('/v1/jobs/{id}/decisions', '/v1/jobs/nope/decisions', 404);
  await g('/v1/jobs/{id}/next', '/v1/jobs/backup/next?count=3', 200,
          { check: (s, b) => (b.fires.length === 3 ? undefined : 'three fires') });
  await g('/v1/jobs/{id}/next', '/v1/jobs/backup/next?count=0', 400, { check: names('count') });
  await g('/v1/jobs/{id}/next', '/v1/jobs/nope/next', 404);

  // Three past nominal times of an hourly job, decided twice: the second time decides nothing.
  const backfill = 'POST /v1/jobs/{id}/backfill';
  await post('/v1/jobs', '/v1/jobs', { id: 'hourly', schedule: '@hourly', command: { argv: ['/bin/true'] } }, 201);
  const hour = 3600 * 1000;
  const lastHour = Math.floor(Date.now() / hour) * hour - hour;
  const range = { from: new Date(lastHour - 2 * hour).toISOString(), to: new Date(lastHour).toISOString() };
  await post('/v1/jobs/{id}/backfill', '/v1/jobs/hourly/backfill', range, 200, {
    check: (s, b) => (b.nominal_times === 3 && b.decided + b.already_decided === 3 ? undefined : 'three nominal times'),
    pending: backfill,
  });
  await post('/v1/jobs/{id}/backfill', '/v1/jobs/hourly/backfill', range, 200, {
    check: (s, b) => (b.decided === 0 && b.already_decided === b.nominal_times ? undefined : 'the same range decides nothing new'),
    pending: backfill,
  });
  await post('/v1/jobs/{id}/backfill', '/v1/jobs/hourly/backfill',
             { from: new Date(lastHour - 2000 * hour).toISOString(), to: range.to }, 400, {
               check: (s, b) => (b && /^\/?to$/.test(b.field || '') ? undefined : 'over 1000 nominal times names to'),
               pending: backfill,
             });
  await post('/v1/jobs/{id}/backfill', '/v1/jobs/hourly/backfill', { from: range.from }, 400, {
    check: names('/to'),
    pending: backfill,
  });
  await post('/v1/jobs/{id}/backfill', '/v1/jobs/nope/backfill', range, 404, { pending: backfill });
  await post('/v1/jobs/{id}/backfill', '/v1/jobs/hourly/backfill', tooLarge, 413, { pending: backfill });

  // Preview.
  await g('/v1/preview', '/v1/preview?schedule=30%202%20*%20*%20*&tz=Europe/Berlin&after=2026-03-27T00:00:00Z&count=3', 200);
  await g('/v1/preview', '/v1/preview?schedule=%40every%2090s&dst_gap=skip&dst_fold=both', 200);
  await g('/v1/preview', '/v1/preview?schedule=0%200%2032%20*%20*', 400, { check: names('schedule') });
  await g('/v1/preview', '/v1/preview', 400, { check: names('schedule') });
  await g('/v1/preview', '/v1/preview?schedule=%40daily&tz=Mars/Olympus', 400, { check: names('tz') });
  await g('/v1/preview', '/v1/preview?schedule=%40daily&after=yesterday', 400, { check: names('after') });
  await g('/v1/preview', '/v1/preview?schedule=%40daily&count=1001', 400, { check: names('count') });
  await g('/v1/preview', '/v1/preview?schedule=%40daily&dst_gap=x', 400, { check: names('dst_gap') });
  await g('/v1/preview', '/v1/preview?schedule=%40daily&dst_fold=x', 400, { check: names('dst_fold') });

  // One job's pause and resume.
  await post('/v1/jobs/{id}/pause', '/v1/jobs/backup/pause', { reason: 'disk swap' }, 200,
             { check: (s, b) => (b.paused === true && b.pause_reason === 'disk swap' ? undefined : 'paused with its reason') });
  await post('/v1/jobs/{id}/pause', '/v1/jobs/backup/pause', { why: 'x' }, 400, { check: names('/why') });
  await post('/v1/jobs/{id}/pause', '/v1/jobs/nope/pause', undefined, 404);
  await post('/v1/jobs/{id}/pause', '/v1/jobs/backup/pause', tooLarge, 413);
  await post('/v1/jobs/{id}/resume', '/v1/jobs/backup/resume', undefined, 200,
             { check: (s, b) => (b.paused === false ? undefined : 'resumed') });
  await post('/v1/jobs/{id}/resume', '/v1/jobs/backup/resume', 'null', 400);
  await post('/v1/jobs/{id}/resume', '/v1/jobs/nope/resume', '', 404);
  await post('/v1/jobs/{id}/resume', '/v1/jobs/backup/resume', tooLarge, 413);

  // The log, the snapshot, the stream counters, the cluster.
  await g('/v1/events', '/v1/events', 200);
  await g('/v1/events', '/v1/events?after=2&limit=3', 200,
          { check: (s, b) => (b.events.length === 3 && b.events[0].seq === 3 ? undefined : 'events 3 to 5') });
  await g('/v1/events', '/v1/events?limit=0', 400, { check: names('limit') });
  await g('/v1/events', '/v1/events?after=-1', 400, { check: names('after') });
  await g('/v1/snapshot', '/v1/snapshot', 200);
  // A snapshot is published every tick (50 ms): one may come between reading the ETag and
  // asking with it, so the pair is repeated, against a deadline, until the answer is a 304.
  const conditional = { template: '/v1/snapshot', target: '/v1/snapshot', expect: 304 };
  const notModified = await waitFor(async () => {
    const etag = (await send({ target: '/v1/snapshot' })).res.headers.get('etag');
    const answer = await send({ ...conditional, headers: { 'If-None-Match': etag } });
    return answer.res.status === 304 && answer;
  }, 10000, 'GET /v1/snapshot with the current ETag to answer 304');
  judge(conditional, notModified);
  await g('/v1/snapshot', '/v1/snapshot?wait=99s', 400, { check: names('wait') });
  await g('/v1/streams', '/v1/streams', 200);
  await g('/v1/cluster', '/v1/cluster', 200);

  // The streams' refusals (their bodies are text/event-stream, not judged here) and headers.
  await g('/v1/stream/events', '/v1/stream/events?after=x', 400, { check: names('after') });
  await g('/v1/stream/events', '/v1/stream/events', 400,
          { headers: { 'Last-Event-ID': 'abc' }, check: names('Last-Event-ID') });
  await g('/v1/stream/console', '/v1/stream/console?after=-1', 400, { check: names('after') });

  // The test hook.
  await post('/v1/debug/stall', '/v1/debug/stall?target=health&for=1ms', undefined, 202);
  await post('/v1/debug/stall', '/v1/debug/stall?target=nobody&for=1s', undefined, 400, { check: names('target') });
  await post('/v1/debug/stall', '/v1/debug/stall?target=health&for=soon', undefined, 400, { check: names('for') });

  // Removal.
  const del = (target, expect) => call({ method: 'DELETE', template: '/v1/jobs/{id}', target, expect });
  await del('/v1/jobs/spare', 200);
  await del('/v1/jobs/spare', 404);
  await call({ method: 'DELETE', template: '/v1/jobs/{id}', target: '/v1/jobs/%zz', expect: 400 });

  // What no operation answers: an unknown path, and a method a path does not have.
  await g(null, '/nope', 404);
  await call({ method: 'DELETE', template: '/health', target: '/health', expect: 405 });
  await call({ method: 'PUT', template: '/v1/jobs', target: '/v1/jobs', body: backup, expect: 405 });
  await call({ method: 'POST', template: '/v1/openapi.json', target: '/v1/openapi.json', expect: 405 });

  // HEAD on every GET route: the GET's status, no body, a stream's headers without a stream.
  const heads = [
    ['/health', '/health', 200], ['/livez', '/livez', 200], ['/readyz', '/readyz', 200],
    ['/metrics', '/metrics', 200], ['/v1/version', '/v1/version', 200],
    ['/v1/openapi.json', '/v1/openapi.json', 200], ['/ui', '/ui', 200],
    ['/ui/{asset}', '/ui/index.html', 200], ['/ui/{asset}', '/ui/nope', 404],
    ['/v1/jobs', '/v1/jobs', 200], ['/v1/jobs', '/v1/jobs?limit=0', 400],
    ['/v1/jobs/{id}', '/v1/jobs/backup', 200], ['/v1/jobs/{id}', '/v1/jobs/nope', 404],
    ['/v1/jobs/{id}/runs', '/v1/jobs/flaky/runs', 200],
    ['/v1/jobs/{id}/runs/{run_id}', runPath, 200],
    ['/v1/jobs/{id}/runs/{run_id}/output', runPath + '/output', 200],
    ['/v1/jobs/{id}/decisions', '/v1/jobs/flaky/decisions', 200],
    ['/v1/jobs/{id}/next', '/v1/jobs/flaky/next', 200],
    ['/v1/preview', '/v1/preview?schedule=%40daily', 200],
    ['/v1/events', '/v1/events', 200], ['/v1/snapshot', '/v1/snapshot', 200],
    ['/v1/streams', '/v1/streams', 200], ['/v1/cluster', '/v1/cluster', 200],
    ['/v1/stream/snapshots', '/v1/stream/snapshots', 200],
    ['/v1/stream/events', '/v1/stream/events', 200],
    ['/v1/stream/console', '/v1/stream/console', 200],
  ];
  for (const [template, target, expect] of heads) {
    await call({ method: 'HEAD', template, target, expect,
                 check: (s, b, h) => (template.startsWith('/v1/stream/') && h.get('content-type') !== 'text/event-stream'
                   ? 'a stream\'s HEAD is text/event-stream' : undefined) });
  }
}

/// Every documented operation was judged at least once, but the streams' GET (whose 200 is a
/// stream) and what is pending on main.
function checkCoverage() {
  const streams = new Set(['GET /v1/stream/snapshots']);
  const pendingOps = new Set([...pendingRequests].filter((what) => !what.includes('?')));
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'head']) {
      if (!item[method]) continue;
      const op = method.toUpperCase() + ' ' + template;
      if (covered.has(op)) continue;
      if (streams.has(op)) continue;
      if (pendingOps.has(op)) {
        console.log('note: pending on main, no answer judged yet: ' + op);
        continue;
      }
      fail(op, 'documented, but no request of this test reached it');
    }
  }
}

async function main() {
  const started = Date.now();
  await startDaemon();
  const served = await fetch(base() + '/v1/openapi.json');
  if (served.status !== 200) abort('GET /v1/openapi.json answered ' + served.status);
  doc = relaxPending(await served.json());
  ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword('example');  // an OpenAPI annotation inside schemas
  // The whole document is added as one schema, so that a schema's $ref to #/components/...
  // resolves in it: its top-level members are no keywords of JSON Schema, so they are declared
  // as annotations that validate nothing (strict mode would refuse them otherwise).
  for (const member of Object.keys(doc)) if (!ajv.getKeyword(member)) ajv.addKeyword(member);
  ajv.addSchema(doc, 'openapi.json');
  // The document must be as strict as this validator: compiling every schema finds a keyword
  // Ajv does not know, or a broken $ref, before any answer is judged.
  for (const name of Object.keys(doc.components.schemas)) {
    try {
      if (!validator(pointer('components', 'schemas', name))) abort('no schema ' + name);
    } catch (err) {
      abort('components.schemas.' + name + ' does not compile: ' + err.message);
    }
  }

  await drive();
  checkCoverage();
  const code = await stopDaemon();
  if (code !== 0) fail('vigil serve', 'exited ' + code + ' after SIGTERM');
  clearTimeout(overall);
  console.log('judged ' + judged + ' answers on ' + covered.size + ' operations in ' +
              ((Date.now() - started) / 1000).toFixed(1) + ' s');
  if (failures.length > 0) {
    console.error('\n' + failures.length + ' answers do not conform to docs/openapi.yaml:');
    for (const f of failures) console.error('  ' + f);
    console.log(judged - new Set(failures.map((f) => f.split(': ')[0])).size + ' passed, ' + failures.length + ' failed');
    cleanUp();
    process.exit(1);
  }
  console.log(judged + ' passed, 0 failed');
  cleanUp();
}

main().catch((err) => abort(err && err.stack ? err.stack : String(err)));
