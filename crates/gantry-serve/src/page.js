// The page's script, served from /page.js so the Content-Security-Policy can forbid inline
// script. The API token lives in sessionStorage (this tab only, never a cookie) and goes
// out as `Authorization: Bearer` on every call; the live log stream is read with fetch()
// (EventSource cannot send headers), so the token is never put in a URL.
'use strict';
const KEY = 'gantry-api-token';
const $ = id => document.getElementById(id);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c =>
  ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
let streamStop = null;

function token() { return sessionStorage.getItem(KEY) || ''; }

function status(text, error) {
  const s = $('auth-status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

async function api(path, init = {}) {
  const headers = Object.assign({}, init.headers);
  if (token()) headers.Authorization = 'Bearer ' + token();
  const r = await fetch(path, Object.assign({}, init, { headers, credentials: 'omit', cache: 'no-store' }));
  if (r.status === 401) { status(token() ? 'the token was refused' : 'enter an API token', true); throw new Error('401'); }
  if (r.status === 403) { status('this token may not do that', true); throw new Error('403'); }
  return r;
}

async function refresh() {
  let r;
  try { r = await (await api('/api/runs?limit=100')).json(); } catch (e) { return; }
  status(token() ? 'token in use (this tab only)' : '');
  $('list').innerHTML = r.runs.map(x =>
    `<tr data-id="${Number(x.id)}"><td>${Number(x.id)}</td><td>${esc(x.workflow_name)}</td><td>${esc(x.event)}</td>` +
    `<td class="${esc(x.conclusion)}">${esc(x.conclusion || x.status)}</td></tr>`).join('');
}

async function act(id, what) {
  try {
    const r = await api(`/api/runs/${id}/${what}`, { method: 'POST' });
    const body = await r.json();
    status(r.ok ? `${what}: ok` : `${what}: ${body.message || r.status}`, !r.ok);
  } catch (e) { /* status already says why */ }
  refresh();
}

async function show(id) {
  if (streamStop) streamStop.abort();
  let r;
  try { r = await (await api(`/api/runs/${id}`)).json(); } catch (e) { return; }
  const d = $('detail');
  d.innerHTML = `<h2>run ${id}: ${esc(r.run.workflow_name)}</h2>` +
    `<p><button type="button" data-act="cancel">cancel</button> <button type="button" data-act="rerun">rerun</button></p>` +
    r.jobs.map(j => `<h3 class="${esc(j.conclusion)}">${esc(j.name)} — ${esc(j.conclusion || j.status)}</h3><ul>` +
      j.steps.map(s => `<li class="${esc(s.conclusion)}">${esc(s.name)} — ${esc(s.conclusion || s.status)}</li>`).join('') + '</ul>').join('') +
    '<pre id="log"></pre>';
  d.querySelectorAll('button[data-act]').forEach(b => b.addEventListener('click', () => act(id, b.dataset.act)));
  streamStop = new AbortController();
  streamLogs(id, $('log'), streamStop.signal).catch(() => {});
}

// Server-Sent Events over fetch: blocks separated by a blank line, `event:` and `data:` lines.
async function streamLogs(id, log, signal) {
  const r = await api(`/api/runs/${id}/logs`, { headers: { Accept: 'text/event-stream' }, signal });
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r\n/g, '\n');
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      if (sseBlock(block, log) === 'end') { reader.cancel(); return; }
    }
  }
}

function sseBlock(block, log) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (name === 'logs') {
    for (const l of JSON.parse(data.join('\n'))) {
      if (l.stream !== 'endgroup') log.textContent += `[${l.job}] ${plain(l)}\n`;
    }
  }
  return name;
}

// A stored row as one line of text: an annotation is stored as JSON, a group as its title.
function plain(l) {
  if (l.stream === 'group') return `> ${l.line}`;
  if (l.stream !== 'annotation') return l.line;
  try {
    const a = JSON.parse(l.line);
    return `${a.level}${a.file ? ` (${a.file}${a.line ? ':' + a.line : ''})` : ''}: ${a.message}`;
  } catch (e) {
    return l.line;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('auth').addEventListener('submit', e => {
    e.preventDefault();
    const t = $('token').value.trim();
    if (t) sessionStorage.setItem(KEY, t);
    $('token').value = '';
    refresh();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    $('list').innerHTML = '';
    $('detail').innerHTML = '<p>Select a run.</p>';
    status('token forgotten');
  });
  $('list').addEventListener('click', e => {
    const row = e.target.closest('tr[data-id]');
    if (row) show(Number(row.dataset.id));
  });
  refresh();
  setInterval(refresh, 2000);
});
