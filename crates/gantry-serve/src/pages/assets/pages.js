// The run page's live updates, served from /assets/pages.js (the Content-Security-Policy
// forbids inline script). When the page names a live stream (data-live: the run has not
// ended), an EventSource reads it with the session cookie: new log lines are appended to
// their step (as text, never as HTML), job and step states are updated, missing jobs and
// steps are added, the job graph's nodes recoloured, and the stream is closed once the run
// has ended.
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
    el('span', { class: 'state state-' + state, 'data-state-of': id }, state));
  // Focusable: a log wider than the screen scrolls sideways, by keyboard too.
  const log = el('ol', { class: 'log', id: 'log:' + job + ':' + step, tabindex: '0',
    'aria-label': name + ' log' });
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
  s.append(h, el('div', { class: 'steps', id: 'steps:' + key }));
  document.getElementById('jobs').append(s);
  return s;
}

function appendLines(lines) {
  for (const l of lines) {
    const step = l.step || '';
    stepSection(l.job, step, l.step ? l.step : 'Job messages', '');
    const ol = document.getElementById('log:' + l.job + ':' + step);
    const li = el('li', { class: l.stream });
    li.append(el('span', { class: 'ln' }, String(ol.children.length + 1)),
      el('time', {}, l.time), el('span', { class: 'text' }, l.line));
    ol.append(li);
  }
}

function applyState(s) {
  setState(document.getElementById('run-state'), s.run);
  for (const j of s.jobs) {
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
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const run = document.getElementById('run');
  if (run && run.dataset.live) live(run.dataset.live);
});
