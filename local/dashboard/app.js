// The local dashboard: a static page that calls the scheduler's API with the user's key.
// No framework, no build step; every value from the API reaches the page through textContent.

const KEY_STORAGE = 'scheduler.apiKey';
const REFRESH_MS = 5000;
const HOUR_MS = 3600_000;
const MAX_LATENESS_JOBS = 25;
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const state = {
  key: null,
  selectedJobId: null,
  timer: null,
  busy: false,
  again: false,
  // Job id -> name (null for none), for rows that show a job by id (dead letters).
  jobNames: new Map(),
};

// --- the key: once from ?key=, then session storage --------------------------------------

function takeKeyFromAddress() {
  const url = new URL(window.location.href);
  const key = url.searchParams.get('key');
  if (key === null) return;
  sessionStorage.setItem(KEY_STORAGE, key);
  url.searchParams.delete('key');
  // The key must not stay in the address bar, the history or a bookmark.
  window.history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
}

function showLogin(message) {
  stopRefreshing();
  $('app').hidden = true;
  $('refresh').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-error').hidden = !message;
  $('login-error').textContent = message ?? '';
  $('key-input').focus();
}

function showApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('refresh').hidden = false;
  $('sign-out').hidden = false;
}

// --- API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path) {
  const response = await fetch(path, {
    method,
    headers: { 'x-api-key': state.key, accept: 'application/json' },
  });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status === 401) {
    sessionStorage.removeItem(KEY_STORAGE);
    state.key = null;
    showLogin('That key is not accepted. Enter another one.');
    throw new ApiError(401, 'unauthorized', 'unauthorized');
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      body?.error?.code ?? `http_${response.status}`,
      body?.error?.message ?? text,
    );
  }
  return body;
}

// --- small DOM helpers -------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A job's name on one line, cut short with an ellipsis (CSS) and shown whole on hover. */
function nameLine(name) {
  return el('div', { class: 'name', title: name ?? undefined }, name ?? '(unnamed)');
}

function badge(status) {
  return el('span', { class: `badge status-${status}` }, status);
}

function shortTime(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '–';
}

function span(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function relative(iso) {
  if (!iso) return '–';
  const delta = Date.parse(iso) - Date.now();
  return delta >= 0 ? `in ${span(delta)}` : `${span(delta)} ago`;
}

function describeSchedule(s) {
  if (s.type === 'cron') return `cron ${s.expression} (${s.timezone ?? 'UTC'})`;
  if (s.type === 'rate')
    return s.everySeconds === undefined ? s.expression : `every ${span(s.everySeconds * 1000)}`;
  if (s.type === 'once' && s.at.startsWith('at(')) return `once ${s.at} ${s.timezone ?? 'UTC'}`;
  if (s.type === 'once') return `once at ${shortTime(new Date(s.at).toISOString())}`;
  if (s.type === 'immediate') return 'immediately';
  return s.type;
}

function describeTarget(t) {
  if (!t) return '';
  if (t.type === 'lambda') return `lambda ${t.functionArn} (${t.invocationType})`;
  if (t.type === 'sqs') return `sqs ${t.queueUrl}`;
  if (t.type === 'eventbridge') return `eventbridge ${t.eventBusArn} ${t.source}/${t.detailType}`;
  if (t.type === 'stepfunctions') return `stepfunctions ${t.stateMachineArn}`;
  if (t.type === 'sns') return `sns ${t.topicArn}`;
  return `${t.method ?? 'POST'} ${t.url}`;
}

// What an AWS service returned, most telling field first.
const RESPONSE_FIELDS = ['messageId', 'eventId', 'executionArn', 'status', 'payload', 'statusCode'];

function lastResult(execution) {
  const last = execution.attempts.at(-1);
  if (!last) return execution.reason ?? '–';
  if (last.error) return last.error;
  const field = last.response && RESPONSE_FIELDS.find((f) => last.response[f] !== undefined);
  if (field) return `${field} ${last.response[field]}`;
  return last.statusCode === null ? '–' : `HTTP ${last.statusCode}`;
}

let toastTimer;
function toast(message, isError = false) {
  const box = $('toast');
  box.textContent = message;
  box.className = isError ? 'error' : '';
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 4000);
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

/** Each table's column headings, in the order its render function below writes the cells. */
const HEADINGS = {
  jobs: ['Name', 'Status', 'Schedule', 'Next run', 'Last run', ''],
  executions: ['Scheduled', 'Trigger', 'Status', 'Attempts', 'Late', 'Result'],
  'dead-letters': ['Execution', 'Job', 'Scheduled', 'Attempts', 'Last error', ''],
  'aws-outbox': ['Sent', 'Type', 'Execution', 'Resource', 'What the target received'],
};

function buildTables() {
  for (const [id, headings] of Object.entries(HEADINGS)) {
    const table = $(id);
    table.createTHead().append(el('tr', {}, ...headings.map((heading) => el('th', {}, heading))));
    table.createTBody();
  }
}

// --- jobs --------------------------------------------------------------------------------

function renderJobs(page) {
  const jobs = page.items;
  $('jobs-count').textContent = page.nextCursor ? `(first ${jobs.length})` : `(${jobs.length})`;
  $('jobs-empty').hidden = jobs.length > 0;
  $('jobs').hidden = jobs.length === 0;
  fill(
    $('jobs').tBodies[0],
    jobs.map((job) => {
      const run = el('button', { type: 'button', class: 'trigger', 'data-job-id': job.id }, 'Run now');
      run.addEventListener('click', (event) => {
        event.stopPropagation();
        triggerJob(job.id);
      });
      const row = el(
        'tr',
        {
          'data-job-id': job.id,
          class: job.id === state.selectedJobId ? 'selected' : undefined,
          tabindex: 0,
        },
        el('td', { class: 'job' }, nameLine(job.name), el('div', { class: 'id muted' }, job.id)),
        el('td', {}, badge(job.status)),
        el('td', {}, describeSchedule(job.schedule)),
        el('td', { title: job.nextRunAt ?? '' }, job.nextRunAt ? relative(job.nextRunAt) : '–'),
        el(
          'td',
          { class: 'last-run' },
          job.lastRun ? badge(job.lastRun.status) : '–',
          job.lastRun?.finishedAt
            ? el('span', { class: 'muted' }, ` ${relative(job.lastRun.finishedAt)}`)
            : '',
        ),
        el('td', {}, job.status === 'active' ? run : ''),
      );
      const select = () => {
        state.selectedJobId = job.id;
        refresh();
      };
      row.addEventListener('click', select);
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') select();
      });
      return row;
    }),
  );
}

async function triggerJob(jobId) {
  try {
    const out = await api('POST', `/v1/jobs/${encodeURIComponent(jobId)}/trigger`);
    toast(`Triggered: ${out.executionId}`);
    state.selectedJobId = jobId;
    await refresh();
  } catch (error) {
    if (error.status !== 401) toast(`Trigger failed: ${error.message}`, true);
  }
}

// --- one job's timeline ------------------------------------------------------------------

function renderTimeline(job, executions) {
  $('timeline-job').textContent = job ? `— ${job.name ?? job.id} · ${describeTarget(job.target)}` : '';
  $('timeline-job').title = job ? `${job.name ?? job.id} · ${describeTarget(job.target)}` : '';
  $('timeline-empty').hidden = Boolean(job && executions.length);
  $('timeline-empty').textContent = job ? 'No runs yet.' : 'Select a job to see its runs.';
  $('executions').hidden = !executions.length;
  const box = $('timeline');
  box.replaceChildren();
  if (!executions.length) return;

  const width = 640;
  const height = 70;
  const pad = 16;
  const times = executions.map((e) => Date.parse(e.scheduledAt));
  const start = Math.min(...times);
  const end = Math.max(Date.now(), ...times);
  const x = (t) => pad + ((t - start) / Math.max(1, end - start)) * (width - 2 * pad);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'execution timeline',
  });
  chart.append(svg('line', { x1: pad, x2: width - pad, y1: 30, y2: 30, class: 'axis' }));
  for (const execution of executions) {
    const cx = x(Date.parse(execution.scheduledAt));
    const dot = svg('circle', {
      cx,
      cy: 30,
      r: 6,
      class: `dot status-${execution.status}`,
      'data-status': execution.status,
    });
    dot.append(
      svg('title', {}, `${shortTime(execution.scheduledAt)} ${execution.status} (${execution.trigger})`),
    );
    chart.append(dot);
  }
  chart.append(
    svg('text', { x: pad, y: height - 8, class: 'label' }, shortTime(new Date(start).toISOString())),
  );
  chart.append(svg('text', { x: width - pad, y: height - 8, class: 'label end' }, 'now'));
  box.append(chart);

  fill(
    $('executions').tBodies[0],
    executions
      .slice(0, 20)
      .map((e) =>
        el(
          'tr',
          { 'data-execution-id': e.executionId },
          el('td', { title: e.executionId }, shortTime(e.scheduledAt)),
          el('td', {}, e.trigger),
          el('td', {}, badge(e.status)),
          el('td', {}, e.attempts.length),
          el('td', {}, e.lateByMs === null ? '–' : `${e.lateByMs} ms`),
          el('td', {}, lastResult(e)),
        ),
      ),
  );
}

// --- start lateness over the last hour ---------------------------------------------------

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function renderLateness(points) {
  const now = Date.now();
  const box = $('lateness');
  const sorted = points.map((p) => p.late).sort((a, b) => a - b);
  $('lateness-summary').textContent = points.length
    ? `${points.length} runs · p50 ${percentile(sorted, 50)} ms · p99 ${percentile(sorted, 99)} ms · max ${sorted.at(-1)} ms`
    : 'No runs started in the last hour.';
  const width = 480;
  const height = 180;
  const left = 52;
  const bottom = 22;
  const top = 10;
  const ceiling = Math.max(100, Math.ceil((sorted.at(-1) ?? 0) / 100) * 100);
  const x = (t) => left + ((t - (now - HOUR_MS)) / HOUR_MS) * (width - left - 8);
  const y = (ms) => height - bottom - (ms / ceiling) * (height - bottom - top);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'start lateness chart',
  });
  for (const tick of [0, ceiling / 2, ceiling]) {
    chart.append(svg('line', { x1: left, x2: width - 8, y1: y(tick), y2: y(tick), class: 'grid' }));
    chart.append(svg('text', { x: left - 6, y: y(tick) + 4, class: 'label end' }, `${tick} ms`));
  }
  for (const [minutes, label, align] of [
    [60, '-60m', 'start'],
    [30, '-30m', 'middle'],
    [0, 'now', 'end'],
  ]) {
    chart.append(
      svg('text', { x: x(now - minutes * 60_000), y: height - 6, class: `label ${align}` }, label),
    );
  }
  for (const p of points) {
    const dot = svg('circle', { cx: x(p.at), cy: y(p.late), r: 3.5, class: `dot status-${p.status}` });
    dot.append(svg('title', {}, `${p.job}: ${p.late} ms late at ${shortTime(new Date(p.at).toISOString())}`));
    chart.append(dot);
  }
  box.replaceChildren(chart);
}

async function latenessPoints(jobs) {
  const from = new Date(Date.now() - HOUR_MS).toISOString();
  const withRuns = jobs.filter((job) => job.lastRun).slice(0, MAX_LATENESS_JOBS);
  const pages = await Promise.all(
    withRuns.map((job) =>
      api(
        'GET',
        `/v1/jobs/${encodeURIComponent(job.id)}/executions?limit=100&from=${encodeURIComponent(from)}`,
      )
        .then((page) => page.items.map((e) => ({ e, job: job.name ?? job.id })))
        .catch(() => []),
    ),
  );
  return pages
    .flat()
    .filter(
      ({ e }) => e.lateByMs !== null && e.startedAt && Date.parse(e.scheduledAt) >= Date.now() - HOUR_MS,
    )
    .map(({ e, job }) => ({ at: Date.parse(e.scheduledAt), late: e.lateByMs, status: e.status, job }));
}

// --- dead letters ------------------------------------------------------------------------

function renderDeadLetters(items) {
  $('dead-empty').hidden = items.length > 0;
  $('dead-letters').hidden = items.length === 0;
  fill(
    $('dead-letters').tBodies[0],
    items.map((e) => {
      const replay = el(
        'button',
        { type: 'button', class: 'replay', 'data-execution-id': e.executionId },
        'Replay',
      );
      replay.addEventListener('click', () => replayDeadLetter(e.executionId, replay));
      return el(
        'tr',
        { 'data-execution-id': e.executionId },
        el('td', { class: 'id' }, e.executionId),
        el(
          'td',
          { class: 'job' },
          nameLine(state.jobNames.get(e.jobId)),
          el('div', { class: 'id muted' }, e.jobId),
        ),
        el('td', {}, shortTime(e.scheduledAt)),
        el('td', {}, e.attempts.length),
        el('td', {}, lastResult(e)),
        el('td', {}, replay),
      );
    }),
  );
}

async function deadLetters() {
  let items;
  try {
    items = (await api('GET', '/v1/dead-letters?limit=50')).items;
  } catch (error) {
    // An API without dead letters (404) shows the empty state rather than an error.
    if (error.status === 404) return [];
    throw error;
  }
  // Jobs beyond the first page of the jobs list: their names, once each.
  const unknown = [...new Set(items.map((e) => e.jobId))].filter((id) => !state.jobNames.has(id));
  await Promise.all(
    unknown.map((id) =>
      api('GET', `/v1/jobs/${encodeURIComponent(id)}`)
        .then((job) => state.jobNames.set(id, job.name ?? null))
        .catch(() => undefined),
    ),
  );
  return items;
}

async function replayDeadLetter(executionId, button) {
  button.disabled = true;
  try {
    await api('POST', `/v1/dead-letters/${encodeURIComponent(executionId)}/replay`);
    toast(`Replaying ${executionId}`);
    await refresh();
  } catch (error) {
    button.disabled = false;
    if (error.status !== 401) toast(`Replay failed: ${error.message}`, true);
  }
}

// --- local AWS outbox (eventbridge, stepfunctions and sns targets of `npm start`) ----------

function outboxSummary(entry) {
  const input = entry.input ?? {};
  if (entry.type === 'eventbridge') {
    const e = input.Entries?.[0] ?? {};
    return `${e.Source}/${e.DetailType} ${e.Detail}`;
  }
  if (entry.type === 'stepfunctions') return `${input.name} ${input.input}`;
  return `${input.Subject ? `${input.Subject}: ` : ''}${input.Message}`;
}

function renderOutbox(items) {
  $('outbox-empty').hidden = items.length > 0;
  $('aws-outbox').hidden = items.length === 0;
  fill(
    $('aws-outbox').tBodies[0],
    items.map((e) =>
      el(
        'tr',
        { 'data-execution-id': e.executionId, 'data-type': e.type },
        el('td', {}, shortTime(e.at)),
        el('td', {}, e.type),
        el('td', { class: 'id' }, e.executionId),
        el(
          'td',
          { class: 'id' },
          e.input?.TopicArn ?? e.input?.stateMachineArn ?? e.input?.Entries?.[0]?.EventBusName ?? '',
        ),
        el('td', {}, outboxSummary(e)),
      ),
    ),
  );
}

async function outbox() {
  try {
    return (await api('GET', '/local/aws-outbox')).items;
  } catch (error) {
    // Only the local runtime has an outbox.
    if (error.status === 404) return [];
    throw error;
  }
}

// --- refresh loop ------------------------------------------------------------------------

async function refresh() {
  if (!state.key) return;
  if (state.busy) {
    // A click during a refresh (select a job, replay) is honoured by one more pass.
    state.again = true;
    return;
  }
  state.busy = true;
  state.again = false;
  try {
    const page = await api('GET', '/v1/jobs?limit=100');
    const jobs = page.items;
    for (const job of jobs) state.jobNames.set(job.id, job.name ?? null);
    if (!jobs.some((job) => job.id === state.selectedJobId)) state.selectedJobId = jobs[0]?.id ?? null;
    renderJobs(page);
    const selected = jobs.find((job) => job.id === state.selectedJobId);
    const [history, points, dead, sent] = await Promise.all([
      selected
        ? api('GET', `/v1/jobs/${encodeURIComponent(selected.id)}/executions?limit=50`).then((p) => p.items)
        : Promise.resolve([]),
      latenessPoints(jobs),
      deadLetters(),
      outbox(),
    ]);
    renderTimeline(selected, history);
    renderLateness(points);
    renderDeadLetters(dead);
    renderOutbox(sent);
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error.status !== 401) toast(`Could not load: ${error.message}`, true);
  } finally {
    state.busy = false;
  }
  if (state.again) await refresh();
}

function startRefreshing() {
  stopRefreshing();
  state.timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
}

function stopRefreshing() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

function open(key) {
  state.key = key;
  showApp();
  refresh();
  startRefreshing();
}

function init() {
  buildTables();
  takeKeyFromAddress();
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key-input').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('key-input').value = '';
    open(key);
  });
  $('refresh').addEventListener('click', () => refresh());
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    state.key = null;
    showLogin();
  });
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) open(key);
  else showLogin();
}

init();
