// The vigil console: one stream per tab (GET /v1/stream/console, read with fetch so that a
// bearer token can go with it), REST for pages, textContent only for anything the server sent.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'vigil.token';
const PAGE = 50;
const LIVE_WITHIN_MS = 3000;  // console heartbeats come every second

// ---- state ------------------------------------------------------------------------------
const state = {
  snapshot: null,
  epoch: null,
  beat: null,          // last heartbeat and when it arrived (performance.now())
  beatAt: 0,
  lastMessageAt: 0,
  connected: false,
  lastSeq: null,       // events: resume strictly after this
  retryMs: 2000,
  events: [],          // the tail shown by the event log screen
  listeners: new Set(),  // screens interested in events: fn(event)
};

// ---- HTTP --------------------------------------------------------------------------------
let tokenWaiters = [];

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

/// Resolves once the viewer gave a (new) token.
function askToken(why) {
  const dialog = $('token-dialog');
  $('token-error').textContent = why || '';
  if (!dialog.open) dialog.showModal();
  $('token-input').focus();
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

function tokenGiven() {
  const value = $('token-input').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $('token-input').value = '';
  $('token-dialog').close();
  const waiters = tokenWaiters;
  tokenWaiters = [];
  for (const w of waiters) w();
}

/// fetch with the token; a 401 asks for one and tries again. Resolves with {status, body}.
async function api(path, options) {
  const opts = Object.assign({}, options || {});
  opts.headers = headers(opts.headers);
  const res = await fetch(path, opts);
  if (res.status === 401) {
    await askToken(sessionStorage.getItem(TOKEN_KEY) ? 'That token was refused.' : '');
    return api(path, options);
  }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { detail: text }; }
  return { status: res.status, body };
}

function showError(res) {
  const box = $('error');
  if (!res || res.status < 400) { box.hidden = true; return; }
  const b = res.body || {};
  box.textContent = res.status + ' ' + (b.error || '') + ': ' + (b.detail || '') +
                    (b.field ? ' (' + b.field + ')' : '');
  box.hidden = false;
}

async function post(path, body) {
  const res = await api(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : '',
  });
  showError(res);
  return res;
}

// ---- time: the server's clock, as the last heartbeat told it ----------------------------
function serverNow() {
  if (!state.beat) return Date.now();
  return Date.parse(state.beat.time) + (performance.now() - state.beatAt);
}

function relative(iso) {
  if (!iso) return '';
  let s = (Date.parse(iso) - serverNow()) / 1000;
  const past = s < 0;
  s = Math.abs(s);
  let text;
  if (s < 60) text = Math.round(s) + ' s';
  else if (s < 3600) text = Math.round(s / 60) + ' min';
  else if (s < 86400 * 2) text = Math.round(s / 3600) + ' h';
  else text = Math.round(s / 86400) + ' d';
  return past ? text + ' ago' : 'in ' + text;
}

const formats = new Map();
function inZone(iso, zone) {
  if (!iso) return '—';
  const key = zone || '';
  if (!formats.has(key)) {
    const o = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
                minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short' };
    if (zone) o.timeZone = zone;
    try { formats.set(key, new Intl.DateTimeFormat('sv-SE', o)); }
    catch (_) { formats.set(key, new Intl.DateTimeFormat('sv-SE', Object.assign(o, { timeZone: 'UTC' }))); }
  }
  return formats.get(key).format(new Date(iso));
}

// ---- the status bar ----------------------------------------------------------------------
function setText(id, text) {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function renderStatus() {
  const snap = state.snapshot;
  const beat = state.beat;
  const verdict = beat ? beat.status : 'unknown';
  $('s-verdict').parentElement.dataset.status = verdict;
  setText('s-verdict', verdict);
  setText('s-reason', beat && beat.reason ? beat.reason : '');
  if (snap) {
    const sch = snap.scheduler;
    setText('s-state', sch.state);
    setText('s-paused', sch.paused ? (sch.pause_reason || 'no reason') + ' · by ' +
            (sch.paused_by || '?') + ' · since ' + inZone(sch.paused_since) : '');
    setText('s-node', snap.node);
    const j = snap.jobs || {};
    const runs = j.runs || {};
    setText('c-jobs', String(j.total ?? '–'));
    setText('c-overdue', String(j.overdue ?? '–'));
    setText('c-running', String((runs.running ?? 0) + (runs.starting ?? 0)));
    setText('c-buffered', String(runs.buffered ?? '–'));
    setText('c-retrying', String(runs.retry_wait ?? '–'));
    $('pause').disabled = sch.paused;
    $('resume').disabled = !sch.paused;
  }
  if (beat && typeof beat.age_seconds === 'number') {
    const age = beat.age_seconds + (performance.now() - state.beatAt) / 1000;
    setText('s-age', 'updated ' + age.toFixed(1) + ' s ago');
  }
  const quiet = performance.now() - state.lastMessageAt > LIVE_WITHIN_MS;
  const stream = !state.connected ? 'reconnecting' : quiet ? 'stale' : 'live';
  $('s-stream').parentElement.dataset.stream = stream;
  setText('s-stream', stream);
  document.documentElement.dataset.stream = stream;
}

function notice(text) {
  $('notice-text').textContent = text;
  $('notice').hidden = false;
}

// ---- the stream --------------------------------------------------------------------------
function onSnapshot(snap) {
  if (state.epoch && snap.epoch !== state.epoch) {
    notice('The daemon restarted: new epoch ' + snap.epoch + ', started ' +
           inZone(snap.started_at) + ' (was ' + state.epoch + ').');
    document.documentElement.dataset.restarted = snap.epoch;
    for (const fn of state.listeners) fn({ type: 'restart' });
  }
  state.epoch = snap.epoch;
  state.snapshot = snap;
  if (state.lastSeq === null) state.lastSeq = snap.log_seq;
  renderStatus();
}

function pushLog(kind, id, data) {
  state.events.push({ kind, id, data, at: new Date().toISOString() });
  if (state.events.length > 500) state.events.shift();
}

function dispatch(kind, id, data) {
  state.lastMessageAt = performance.now();
  if (kind === 'heartbeat') {
    state.beat = JSON.parse(data);
    state.beatAt = performance.now();
    renderStatus();
    return;
  }
  if (kind === 'snapshot') return onSnapshot(JSON.parse(data));
  pushLog(kind, id, data);
  if (kind === 'event') {
    const e = JSON.parse(data);
    state.lastSeq = e.seq;
    for (const fn of state.listeners) fn(e);
  } else if (kind === 'reset') {
    // Said verbatim in the event log; the position moves where the server put it.
    if (id) state.lastSeq = Number(id);
    for (const fn of state.listeners) fn({ type: 'reset' });
  } else {
    for (const fn of state.listeners) fn({ type: kind });
  }
}

/// Splits a text/event-stream body into events as it arrives.
function sseParser(onEvent) {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let kind = 'message', id = '', data = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0) continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') kind = value;
        else if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry' && /^\d+$/.test(value)) state.retryMs = Number(value);
      }
      if (data.length) onEvent(kind, id, data.join('\n'));
    }
  };
}

async function connect() {
  for (;;) {
    const query = state.lastSeq === null ? '' : '?after=' + state.lastSeq;
    try {
      const res = await fetch('/v1/stream/console' + query, { headers: headers(), cache: 'no-store' });
      if (res.status === 401) {
        await askToken(sessionStorage.getItem(TOKEN_KEY) ? 'That token was refused.' : '');
        continue;
      }
      if (res.ok && res.body) {
        state.connected = true;
        renderStatus();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const feed = sseParser(dispatch);
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          feed(value);
        }
      }
    } catch (_) {
      // the daemon is gone or the network broke: reconnect below
    }
    state.connected = false;
    renderStatus();
    // The server's retry hint, the way EventSource would wait before reconnecting.
    await new Promise((resolve) => setTimeout(resolve, state.retryMs));
  }
}

// ---- screens -----------------------------------------------------------------------------
const main = () => $('main');

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function kv(pairs) {
  const dl = el('dl', null, 'kv');
  for (const [k, v] of pairs) {
    dl.append(el('dt', k), el('dd', v === null || v === undefined ? '—' : v));
  }
  return dl;
}

function link(href, text) {
  const a = el('a', text);
  a.href = href;
  return a;
}

const enc = encodeURIComponent;
function jobHref(id) { return '#/job/' + enc(id); }
function runHref(job, run) { return '#/run/' + enc(job) + '/' + enc(run); }
function decisionText(d) {
  if (!d) return '—';
  return d.kind + (d.reason ? ' (' + d.reason + ')' : '') + (d.count > 1 ? ' ×' + d.count : '');
}
function jobOfEvent(e) {
  const b = e.body || {};
  return b.job || (b.spec && b.spec.id) || null;
}

let screen = null;  // {stop()} of the current screen
function leave() {
  if (screen && screen.stop) screen.stop();
  screen = null;
}
function listen(fn) {
  state.listeners.add(fn);
  return () => state.listeners.delete(fn);
}

/// Coalesces refreshes: at most one request in flight, one more queued.
function refresher(load) {
  let running = false, again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try { await load(); } finally {
      running = false;
      if (again) { again = false; run(); }
    }
  };
  return run;
}

// Jobs: a server page at a time (keyset paging: a stack of cursors), rows updated in place.
function jobsScreen(params) {
  const root = $('t-jobs').content.cloneNode(true);
  main().replaceChildren(root);
  const body = $('jobs-body');
  const prefix = $('f-prefix');
  const status = $('f-status');
  prefix.value = params.get('prefix') || '';
  status.value = params.get('status') || '';
  const cursors = [''];
  let next = null;
  const rows = new Map();  // id -> row
  for (let i = 0; i < PAGE; ++i) {  // a page's rows exist once; pages only change their text
    const row = $('t-job-row').content.firstElementChild.cloneNode(true);
    row.hidden = true;
    body.append(row);
    row.querySelector('.run-now').addEventListener('click', async () => {
      const res = await post('/v1/jobs/' + enc(row.dataset.id) + '/run');
      if (res.status < 400) reload();
    });
    row.querySelector('.toggle').addEventListener('click', async () => {
      const verb = row.dataset.paused === 'true' ? 'resume' : 'pause';
      const res = await post('/v1/jobs/' + enc(row.dataset.id) + '/' + verb);
      if (res.status < 400) reload();
    });
  }

  function fill(row, j) {
    const changed = row.dataset.id === j.id && row.dataset.sig !== JSON.stringify(j);
    row.hidden = false;
    row.dataset.id = j.id;
    row.dataset.sig = JSON.stringify(j);
    row.dataset.paused = String(j.paused);
    row.dataset.running = String(j.running);
    row.dataset.outcome = j.status.last_outcome || '';
    const a = row.querySelector('.id a');
    a.textContent = j.id;
    a.href = jobHref(j.id);
    row.querySelector('.sched').textContent = j.schedule + (j.enabled ? '' : ' (disabled)');
    // The job's own wall clock as the daemon computed it (its zone rules, not the browser's).
    row.querySelector('.zone').textContent = j.next_due_local ? j.next_due_local.replace('T', ' ') + ' ' + j.time_zone : '—';
    row.querySelector('.mine').textContent = j.next_due ? inZone(j.next_due) : '';
    row.querySelector('.in').textContent = relative(j.next_due);
    row.querySelector('.dec').textContent = decisionText(j.last_decision);
    const out = row.querySelector('.out');
    out.textContent = j.status.last_outcome || '—';
    out.className = 'out outcome-' + (j.status.last_outcome || 'none');
    row.querySelector('.run').textContent = String(j.running);
    row.querySelector('.toggle').textContent = j.paused ? 'Resume' : 'Pause';
    if (changed) {
      row.classList.remove('changed');
      void row.offsetWidth;  // restart the highlight
      row.classList.add('changed');
    }
  }

  const load = refresher(async () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    const after = cursors[cursors.length - 1];
    if (after) q.set('after', after);
    if (prefix.value) q.set('prefix', prefix.value);
    if (status.value) q.set('status', status.value);
    const t0 = performance.now();
    const res = await api('/v1/jobs?' + q);
    // A load still in flight when the view was left (a restart's reload, then a click on
    // another tab) finds its elements gone: it has nothing left to fill.
    if (stopped) return;
    if (res.status >= 400) return showError(res);
    const jobs = res.body.jobs;
    next = res.body.next;
    rows.clear();
    const all = body.children;
    for (let i = 0; i < PAGE; ++i) {
      if (i < jobs.length) { fill(all[i], jobs[i]); rows.set(jobs[i].id, all[i]); }
      else { all[i].hidden = true; all[i].dataset.id = ''; }
    }
    $('jobs-total').textContent = res.body.total + ' jobs defined';
    $('page-no').textContent = 'page ' + cursors.length;
    $('prev').disabled = cursors.length === 1;
    $('next').disabled = !next;
    body.dataset.loaded = String((Number(body.dataset.loaded) || 0) + 1);
    body.dataset.renderMs = (performance.now() - t0).toFixed(1);
  });
  const reload = () => load();

  let debounce = 0;
  const refilter = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { cursors.length = 1; load(); }, 150);
  };
  prefix.addEventListener('input', refilter);
  status.addEventListener('change', refilter);
  $('define-ok').addEventListener('click', async () => {
    let body;
    try { body = JSON.parse($('define-body').value); } catch (e) {
      $('define-result').textContent = 'not JSON: ' + e.message;
      return;
    }
    const res = await post('/v1/jobs', body);
    $('define-result').textContent = res.status < 400 ? 'defined ' + res.body.id + ' (revision ' + res.body.revision + ')' : '';
  });
  $('next').addEventListener('click', () => { if (next) { cursors.push(next); load(); } });
  $('prev').addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load(); } });

  // An event about a job on this page (or a definition or removal) refreshes the page.
  let pending = 0;
  let stopped = false;  // the view was left: a load in flight fills nothing
  const stopListening = listen((e) => {
    const job = jobOfEvent(e);
    const relevant = e.type === 'restart' || e.type === 'reset' || (job && rows.has(job)) ||
                     e.type === 'job_defined' || e.type === 'job_removed';
    if (!relevant || pending) return;
    pending = setTimeout(() => { pending = 0; load(); }, 100);
  });
  const tick = setInterval(() => {
    for (const row of rows.values()) {
      const j = JSON.parse(row.dataset.sig);
      row.querySelector('.in').textContent = relative(j.next_due);
    }
  }, 1000);
  load();
  return { stop() { stopped = true; stopListening(); clearInterval(tick); clearTimeout(pending); } };
}

// Job: definition, next fires, runs, and why it did or did not run.
function jobScreen(id) {
  const load = refresher(async () => {
    const base = '/v1/jobs/' + enc(id);
    const [job, nextFires, runs, decisions] = await Promise.all([
      api(base), api(base + '/next?count=10'), api(base + '/runs?limit=20'),
      api(base + '/decisions?limit=100')]);
    if (job.status >= 400) { main().replaceChildren(el('h1', 'Job ' + id)); return showError(job); }
    const j = job.body;
    const sec = el('section');
    sec.append(el('h1', 'Job ' + j.id));
    const actions = el('p');
    const run = el('button', 'Run now');
    run.type = 'button';
    run.addEventListener('click', async () => { if ((await post(base + '/run')).status < 400) load(); });
    const toggle = el('button', j.paused ? 'Resume' : 'Pause');
    toggle.type = 'button';
    toggle.addEventListener('click', async () => {
      if ((await post(base + (j.paused ? '/resume' : '/pause'))).status < 400) load();
    });
    actions.append(run, ' ', toggle);
    sec.append(actions, kv([
      ['schedule', j.spec.schedule + ' (' + j.spec.time_zone + ')'],
      ['paused', j.paused ? 'yes: ' + (j.pause_reason || 'no reason') + ' · by ' + (j.paused_by || '?') +
                            ' · since ' + inZone(j.paused_since) : 'no'],
      ['enabled', String(j.spec.enabled)],
      ['schedulable', String(j.schedulable)],
      ['overlap', j.spec.overlap + ' (buffer limit ' + j.spec.buffer_limit + ')'],
      ['catch-up', j.spec.catchup + ' within ' + j.spec.catchup_window + ', misfire grace ' + j.spec.misfire_grace],
      ['retry', j.spec.retry.max_attempts + ' attempts, backoff ' + j.spec.retry.initial_backoff + '…' + j.spec.retry.max_backoff],
      ['timeout', j.spec.timeout + ', kill grace ' + j.spec.kill_grace],
      ['DST', 'gap ' + j.spec.dst.gap + ', fold ' + j.spec.dst.fold],
      ['last outcome', (j.status.last_outcome || '—') + (j.status.consecutive_failures ? ', ' + j.status.consecutive_failures + ' failures in a row' : '')],
      ['next due', j.next_due ? j.next_due_local + ' (' + j.spec.time_zone + ') · yours ' + inZone(j.next_due) + ' · ' + relative(j.next_due) : '—'],
    ]));
    sec.append(el('h2', 'Definition'), el('pre', JSON.stringify(j.spec, null, 2)));

    sec.append(el('h2', 'Next 10 fires'));
    const fires = el('ol');
    let prevOffset = null;
    for (const f of (nextFires.body && nextFires.body.fires) || []) {
      const offset = (/([+-]\d\d:\d\d|Z)$/.exec(f) || [''])[0];
      const li = el('li', f + '  ' + relative(f));
      if (prevOffset !== null && offset !== prevOffset) li.append(' ', el('span', 'offset changes (DST)', 'dst'));
      prevOffset = offset;
      fires.append(li);
    }
    sec.append(fires);

    sec.append(el('h2', 'Active and buffered runs'));
    const active = el('ul');
    for (const r of j.active_runs) { const li = el('li'); li.append(link(runHref(j.id, r), r), ' active'); active.append(li); }
    for (const r of j.buffered_runs) active.append(el('li', r + ' buffered'));
    if (!active.children.length) active.append(el('li', 'none'));
    sec.append(active);

    sec.append(el('h2', 'Run history'));
    const table = el('table');
    const head = el('tr');
    for (const h of ['run', 'status', 'attempt', 'started', 'duration', 'exit']) head.append(el('th', h));
    table.append(head);
    for (const r of (runs.body && runs.body.runs) || []) {
      const tr = el('tr');
      const td = el('td');
      td.append(link(runHref(j.id, r.run_id), r.run_id));
      tr.append(td, el('td', r.status, 'outcome-' + r.status), el('td', r.attempt),
                el('td', r.started_at ? inZone(r.started_at) : '—'),
                el('td', r.duration_seconds.toFixed(3) + ' s'),
                el('td', r.signal !== null ? 'signal ' + r.signal : r.exit_code ?? '—'));
      table.append(tr);
    }
    sec.append(table);

    sec.append(el('h2', 'Why did (or didn\u2019t) it run?'));
    const tl = el('ol', null, 'timeline');
    for (const d of (decisions.body && decisions.body.decisions) || []) {
      const li = el('li');
      li.append(el('strong', d.kind), ' ' + (d.reason || '') + ' · nominal ' + inZone(d.nominal, j.spec.time_zone) +
                ' · decided ' + inZone(d.at) + (d.count > 1 ? ' · ' + d.count + ' times through ' + inZone(d.last) : ''));
      if (d.run_id) li.append(' → ', link(runHref(j.id, d.run_id), d.run_id));
      tl.append(li);
    }
    if (!tl.children.length) tl.append(el('li', 'no decisions yet: nothing was due'));
    sec.append(tl);
    main().replaceChildren(sec);
  });
  const stop = listen((e) => { if (jobOfEvent(e) === id || e.type === 'restart') load(); });
  load();
  return { stop };
}

// Run: its record and its output, live while it runs: GET .../output?offset=N&wait= reads
// the bytes after N as they are written (a plain request that waits on the daemon, not a second
// stream), from the next position the daemon names, so that nothing is shown twice.
function runScreen(job, run) {
  let offset = 0, attempt = 0, output = '', ended = false, stopped = false;
  const base = '/v1/jobs/' + enc(job) + '/runs/' + enc(run);
  const pre = el('pre');
  pre.id = 'run-output';
  const note = el('p', null, 'muted');
  note.id = 'run-output-state';
  const show = () => {
    pre.textContent = output;
    note.textContent = ended ? 'ended' : 'live: ' + offset + ' bytes so far';
  };
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  const MAX_SHOWN = 1 << 20;  // the page keeps the last MiB it was shown, like a terminal
  const follow = async () => {
    let failures = 0;
    while (!stopped && !ended) {
      let out;
      try {
        out = await api(base + '/output?offset=' + offset + (attempt ? '&attempt=' + attempt : '') + '&wait=2000');
      } catch (_) {
        out = { status: 0, body: null };  // the daemon is unreachable: try again, from here
      }
      if (stopped) return;
      if (out.status === 404) { note.textContent = 'no output here: ' + ((out.body || {}).detail || 'not found'); return; }
      if (out.status >= 400 || !out.body) {
        note.textContent = 'output unavailable (' + (out.status ? 'HTTP ' + out.status : 'no answer') + '); retrying';
        await pause(Math.min(10000, 500 * 2 ** Math.min(failures++, 5)));
        continue;
      }
      failures = 0;
      const b = out.body;
      attempt = b.attempt;
      if (b.dropped > 0) output += '[' + b.dropped + ' bytes dropped: the tail is kept]\n';
      output += b.output;
      if (output.length > MAX_SHOWN) output = output.slice(output.length - MAX_SHOWN);
      offset = b.next_offset;
      ended = b.ended;
      show();
      if (!b.live && !ended) await pause(1000);  // not started yet, ending, or runs elsewhere
    }
  };
  const load = refresher(async () => {
    const res = await api(base);
    if (res.status >= 400) { main().replaceChildren(el('h1', 'Run ' + run)); return showError(res); }
    const r = res.body;
    if (ended && r.attempt > attempt && (r.status === 'starting' || r.status === 'running')) {
      // A retry's attempt: its output starts again at 0, after a line that says so.
      output += '--- attempt ' + r.attempt + ' ---\n';
      attempt = r.attempt;
      offset = 0;
      ended = false;
      follow();
    }
    const sec = el('section');
    const h = el('h1');
    h.append('Run ' + r.run_id + ' of ', link(jobHref(job), job));
    sec.append(h, kv([
      ['status', r.status + (r.cancelling ? ' (cancelling)' : '')],
      ['attempt', r.attempt],
      ['reason', r.reason],
      ['nominal', inZone(r.nominal)],
      ['decided', inZone(r.decided_at)],
      ['started', r.started_at ? inZone(r.started_at) : null],
      ['finished', r.finished_at ? inZone(r.finished_at) : null],
      ['retry at', r.retry_at ? inZone(r.retry_at) + ' ' + relative(r.retry_at) : null],
      ['duration', r.duration_seconds.toFixed(3) + ' s'],
      ['exit', r.exit_code], ['signal', r.signal], ['error', r.error],
      ['output', r.output_bytes + ' bytes' + (r.truncated ? ' (truncated to the tail)' : '')],
    ]));
    const attempts = el('ol');
    attempts.id = 'run-attempts';
    for (const a of r.attempts || []) {
      const li = el('li', 'attempt ' + a.attempt + ': ' + a.outcome +
        (a.exit_code !== null ? ', exit ' + a.exit_code : '') + (a.signal !== null ? ', signal ' + a.signal : '') +
        (a.error ? ', ' + a.error : '') + (a.started_at ? ' — started ' + inZone(a.started_at) : ''));
      attempts.append(li);
    }
    show();
    sec.append(el('h2', 'Attempts'), attempts, el('h2', 'Output'), note, pre);
    main().replaceChildren(sec);
  });
  // The record's changes come with this run's events on the console stream.
  const stopListening = listen((e) => { if (jobOfEvent(e) === job) load(); });
  load();
  follow();
  return { stop: () => { stopped = true; stopListening(); } };
}

function testerScreen() {
  const sec = el('section');
  sec.append(el('h1', 'Schedule tester'));
  const row = el('div', null, 'filters');
  const field = (label, value) => {
    const l = el('label', label + ' ');
    const i = el('input');
    i.value = value;
    l.append(i);
    row.append(l);
    return i;
  };
  const schedule = field('schedule', '0 30 2 * * *');
  const tz = field('time zone', 'Europe/Berlin');
  const count = field('count', '10');
  const after = field('after (RFC 3339, empty: now)', '');
  const go = el('button', 'Preview');
  go.type = 'button';
  row.append(go);
  const list = el('ol');
  list.id = 'preview';
  sec.append(row, list);
  main().replaceChildren(sec);
  const run = async () => {
    const q = new URLSearchParams({ schedule: schedule.value, tz: tz.value, count: count.value });
    if (after.value) q.set('after', after.value);
    const res = await api('/v1/preview?' + q);
    list.replaceChildren();
    if (res.status >= 400) {
      const b = res.body || {};
      list.append(el('li', (b.field ? b.field + ': ' : '') + (b.detail || b.error)));
      // A parse error names its byte position: the expression with a caret under it.
      const at = /\(at position (\d+)\)/.exec(b.detail || '');
      if (b.field === 'schedule' && at) {
        const marked = el('pre', schedule.value + '\n' + ' '.repeat(Number(at[1])) + '^');
        marked.id = 'preview-error';
        list.append(marked);
      }
      return;
    }
    let prev = null;
    for (const f of res.body.fires) {
      const off = (/([+-]\d\d:\d\d|Z)$/.exec(f) || [''])[0];
      const li = el('li', f + '  ' + relative(f));
      if (prev !== null && off !== prev) li.append(' ', el('span', 'offset changes (DST)', 'dst'));
      prev = off;
      list.append(li);
    }
  };
  go.addEventListener('click', run);
  row.addEventListener('keydown', (e) => { if (e.key === 'Enter') run(); });
  run();
  return {};
}

function eventsScreen() {
  const sec = el('section');
  sec.append(el('h1', 'Event log (live tail)'));
  const row = el('div', null, 'filters');
  const typeL = el('label', 'type ');
  const type = el('input');
  type.type = 'search';
  type.id = 'ev-type';
  typeL.append(type);
  const jobL = el('label', 'job ');
  const job = el('input');
  job.type = 'search';
  job.id = 'ev-job';
  jobL.append(job);
  row.append(typeL, jobL);
  const table = el('table', null, 'events');
  const body = el('tbody');
  body.id = 'events-body';
  table.append(body);
  sec.append(row, table);
  main().replaceChildren(sec);
  const render = () => {
    const rows = [];
    for (let i = state.events.length - 1; i >= 0 && rows.length < 200; --i) {
      const x = state.events[i];
      let t = x.kind, j = '';
      if (x.kind === 'event') { const e = JSON.parse(x.data); t = e.type; j = jobOfEvent(e) || ''; }
      if (type.value && !t.includes(type.value)) continue;
      if (job.value && !j.startsWith(job.value)) continue;
      const tr = el('tr');
      tr.dataset.kind = x.kind;
      // reset and close as the server sent them
      tr.append(el('td', x.id), el('td', t), el('td', j), el('td', x.data, 'data'));
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  };
  type.addEventListener('input', render);
  job.addEventListener('input', render);
  const stop = listen(render);
  render();
  return { stop };
}

function route() {
  leave();
  showError(null);
  const hash = location.hash || '#/jobs';
  const [path, query] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  if (parts[0] === 'job' && parts[1]) screen = jobScreen(parts[1]);
  else if (parts[0] === 'run' && parts[2]) screen = runScreen(parts[1], parts[2]);
  else if (parts[0] === 'tester') screen = testerScreen();
  else if (parts[0] === 'events') screen = eventsScreen();
  else screen = jobsScreen(params);
  for (const a of document.querySelectorAll('nav a'))
    a.setAttribute('aria-current', hash.startsWith(a.getAttribute('href')) ? 'page' : 'false');
}

// ---- start -------------------------------------------------------------------------------
$('token-ok').addEventListener('click', tokenGiven);
$('token-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') tokenGiven(); });
$('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
$('pause').addEventListener('click', () => {
  const reason = $('pause-reason').value.trim();
  post('/v1/scheduler/pause', reason ? { reason } : null);
});
$('resume').addEventListener('click', () => post('/v1/scheduler/resume'));
window.addEventListener('hashchange', route);
setInterval(renderStatus, 250);
route();
connect();
