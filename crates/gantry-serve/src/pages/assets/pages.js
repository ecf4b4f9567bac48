// The run page's live updates, served from /assets/pages.js (the Content-Security-Policy
// forbids inline script). When the page names a live stream (data-live: the run has not
// ended), an EventSource reads it with the session cookie: new log lines are appended to
// their step (as text, never as HTML: the server sends styled spans, group openings and
// closings and annotations as data, and elements are built with textContent and class
// names), job and step states are updated, missing jobs and steps are added, the job
// graph's nodes recoloured, and the stream is closed once the run has ended; then the
// steps' summaries (sanitised on the server) are taken from the page as the server
// renders it.
'use strict';

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function setState(node, state) {
  node.textContent = state;
  node.className = 'state state-' + state;
}

function stepSection(job, step, name, state) {
  const id = 'step:' + job + ':' + step;
  let d = document.getElementById(id);
  if (d) return d;
  let steps = document.getElementById('steps:' + job);
  if (!steps) steps = jobSection(job, job, '').querySelector('.steps');
  d = el('details', { class: 'step', id: id, open: '' });
  const summary = el('summary');
  summary.append(el('span', { class: 'name' }, name), ' ',
    el('span', { class: 'state state-' + state, 'data-state-of': id }, state),
    el('span', { class: 'counts' }));
  // Focusable: a log wider than the screen scrolls sideways, by keyboard too.
  const log = el('ol', { class: 'log', id: 'log:' + job + ':' + step, 'data-lines': '0',
    tabindex: '0', 'aria-label': name + ' log' });
  d.append(summary, log);
  steps.append(d);
  return d;
}

function jobSection(key, name, state) {
  const id = 'job:' + key;
  let s = document.getElementById(id);
  if (s) return s;
  const none = document.getElementById('no-jobs');
  if (none) none.remove();
  s = el('section', { class: 'job', id: id });
  const h = el('h2', {}, name + ' ');
  h.append(el('span', { class: 'state state-' + state, 'data-state-of': id }, state));
  s.append(h, el('ul', { class: 'annotations', id: 'notes:' + key, hidden: '' }),
    el('div', { class: 'steps', id: 'steps:' + key }));
  document.getElementById('jobs').append(s);
  return s;
}

// Styled spans ({text, class}) into `parent`, as text.
function spansInto(parent, spans) {
  for (const s of spans || []) {
    parent.append(s.class ? el('span', { class: s.class }, s.text) : document.createTextNode(s.text));
  }
  return parent;
}

// Per step log (by id): the lists its new lines go to, innermost open group last. Read from
// the page once (a running step may be inside a group), then kept as groups open and close:
// no search through a long log per line.
const openLists = new Map();

function openStack(root) {
  let stack = openLists.get(root.id);
  if (stack) return stack;
  stack = [root];
  for (;;) {
    const top = stack[stack.length - 1];
    const open = top.querySelectorAll(':scope > li.group-line > details.group.unclosed');
    if (!open.length) break;
    stack.push(open[open.length - 1].querySelector(':scope > ol'));
  }
  openLists.set(root.id, stack);
  return stack;
}

function nextNumber(root) {
  const n = Number(root.dataset.lines || 0) + 1;
  root.dataset.lines = String(n);
  return n;
}

function numbered(tag, attrs, n, time, spans) {
  const node = el(tag, attrs);
  node.append(el('span', { class: 'ln' }, String(n)), el('time', {}, time),
    spansInto(el('span', { class: 'text' }), spans));
  return node;
}

function addNote(l, root, prefix) {
  const a = l.annotation;
  const notes = document.getElementById('notes:' + l.job);
  const n = Number(root.dataset.lines || 0);
  const href = '#' + (n ? prefix + n : 'step:' + l.job + ':' + (l.step || ''));
  const li = el('li', { class: 'annotation annotation-' + a.level });
  li.append(el('span', { class: 'level' }, a.level), ' ');
  if (a.place) li.append(el('span', { class: 'place' }, a.place), ' ');
  li.append(el('a', { href: href, class: 'message' }, a.message));
  notes.append(li);
  notes.hidden = false;
  const counts = root.closest('details.step').querySelector(':scope > summary .counts');
  let c = counts.querySelector('.count-' + a.level);
  if (!c) counts.append(' ', c = el('span', { class: 'count count-' + a.level, 'data-n': '0' }));
  const k = Number(c.dataset.n || parseInt(c.textContent, 10) || 0) + 1;
  c.dataset.n = String(k);
  c.textContent = k + ' ' + a.level + (k === 1 ? '' : 's');
}

function appendRow(l) {
  const step = l.step || '';
  stepSection(l.job, step, l.step ? l.step : 'Job messages', '');
  const root = document.getElementById('log:' + l.job + ':' + step);
  const prefix = 'line:' + l.job + ':' + step + ':';
  if (l.stream === 'summary') return; // shown once the run has ended
  if (l.stream === 'annotation') { addNote(l, root, prefix); return; }
  const stack = openStack(root);
  if (l.stream === 'endgroup') {
    if (stack.length > 1) stack.pop().parentElement.classList.remove('unclosed');
    return;
  }
  const n = nextNumber(root);
  const into = stack[stack.length - 1];
  if (l.stream === 'group') {
    const li = el('li', { class: 'group-line', id: prefix + n });
    const d = el('details', { class: 'group unclosed' });
    const ol = el('ol', { class: 'log group-log' });
    d.append(numbered('summary', {}, n, l.time, l.title), ol);
    li.append(d);
    into.append(li);
    stack.push(ol);
    return;
  }
  into.append(numbered('li', { class: l.stream, id: prefix + n }, n, l.time, l.spans));
}

// On a job's own page (`#jobs[data-only]`: /runs/{id}/jobs/{key}) the other jobs' lines
// and sections are left out; the run's state and graph still follow every job.
function shownJob(key) {
  const only = document.getElementById('jobs').dataset.only;
  return only === undefined || only === key;
}

function appendLines(lines) {
  for (const l of lines) if (shownJob(l.job)) appendRow(l);
}

// Once the run has ended: its steps' summaries and its artifacts, from the page as
// rendered on the server (sanitised there; DOMParser runs no script), under their jobs.
async function showSummaries() {
  const r = await fetch(location.pathname, { credentials: 'same-origin' });
  if (!r.ok) return;
  const page = new DOMParser().parseFromString(await r.text(), 'text/html');
  const artifacts = page.getElementById('artifacts');
  const shown = document.getElementById('artifacts');
  if (artifacts && shown) shown.replaceWith(document.importNode(artifacts, true));
  for (const job of page.querySelectorAll('section.job')) {
    const mine = document.getElementById(job.id);
    if (!mine || mine.querySelector('section.step-summary')) continue;
    for (const s of job.querySelectorAll(':scope > section.step-summary')) {
      mine.append(document.importNode(s, true));
    }
  }
}

function applyState(s) {
  setState(document.getElementById('run-state'), s.run);
  for (const j of s.jobs) {
    if (!shownJob(j.key)) continue;
    jobSection(j.key, j.name, j.state);
    for (const st of j.steps) {
      // A step first seen through its lines was named by its key: now its name is known.
      stepSection(j.key, st.key, st.name, st.state).querySelector('.name').textContent = st.name;
    }
  }
  document.querySelectorAll('[data-state-of]').forEach(node => {
    const [kind, job, ...rest] = node.dataset.stateOf.split(':');
    const j = s.jobs.find(x => x.key === job);
    if (!j) return;
    if (kind === 'job') { setState(node, j.state); return; }
    const st = j.steps.find(x => x.key === rest.join(':'));
    if (st) setState(node, st.state);
  });
  graphStates(s);
}

// The job graph's nodes (pages/graph.rs draws them): a node's state is the worst of its
// legs' (data-legs; those in data-skipped were skipped at plan time), a leg without a job
// yet is queued while the run goes and skipped once it has ended; a job the plan did not
// name (a matrix planned at run time: `id (…)`, `id/…`) counts for its id's node.
const RANK = ['skipped', 'success', 'waiting', 'queued', 'in_progress', 'cancelled', 'failure'];

function rank(state) {
  const r = RANK.indexOf({ interrupted: 'failure', completed: 'success' }[state] || state);
  return r < 0 ? RANK.indexOf('queued') : r;
}

function graphStates(s) {
  const nodes = [...document.querySelectorAll('svg .node[data-legs]')];
  if (!nodes.length) return;
  const ended = !['queued', 'in_progress'].includes(s.run);
  const planned = new Set(nodes.flatMap(n => JSON.parse(n.dataset.legs)));
  for (const node of nodes) {
    const id = node.dataset.id;
    const skipped = JSON.parse(node.dataset.skipped || '[]');
    const states = JSON.parse(node.dataset.legs).map(key => {
      if (skipped.includes(key)) return 'skipped';
      const j = s.jobs.find(x => x.key === key);
      return j ? j.state : (ended ? 'skipped' : 'queued');
    });
    for (const j of s.jobs) {
      if (!planned.has(j.key) && (j.key.startsWith(id + ' (') || j.key.startsWith(id + '/'))) states.push(j.state);
    }
    const worst = RANK[Math.max(0, ...states.map(rank))];
    node.setAttribute('class', 'node state-' + worst);
    node.setAttribute('aria-label', node.dataset.label + ': ' + worst);
    const text = node.querySelector('.node-state');
    if (text) text.textContent = worst;
  }
}

function live(url) {
  const es = new EventSource(url);
  es.addEventListener('logs', e => appendLines(JSON.parse(e.data)));
  es.addEventListener('state', e => applyState(JSON.parse(e.data)));
  es.addEventListener('end', () => {
    es.close();
    const cancel = document.getElementById('cancel');
    if (cancel) cancel.remove();
    document.getElementById('run').dataset.ended = 'true';
    showSummaries().catch(() => {});
  });
}

// A link to a log line (an annotation's) opens the step and groups folding it, then shows it.
function reveal() {
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (!target) return;
  for (let d = target.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
  target.scrollIntoView({ block: 'center' });
}

window.addEventListener('hashchange', reveal);

document.addEventListener('DOMContentLoaded', () => {
  reveal();
  const run = document.getElementById('run');
  if (run && run.dataset.live) live(run.dataset.live);
});
