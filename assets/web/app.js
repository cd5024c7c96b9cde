// sift's web page: reads the index's modes, rankers and filterable fields from /v1/info, searches
// through POST /v1/search and shows the latest evaluation from /v1/evaluation. Plain browser JavaScript,
// served as is (no build step). All document text goes through textContent, never innerHTML.

const $ = (id) => document.getElementById(id);
const form = $('search');
const status = $('status');
let inFlight;

/** Text fields shown first when the index has them (the job corpus's useful filters). */
const PREFERRED = ['location', 'seniority', 'workplace', 'employmentType', 'country', 'company'];

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function loadInfo() {
  const info = await getJson('/v1/info');
  $('index-info').textContent =
    `${info.index} · ${info.documents.toLocaleString()} documents · generation ${info.generation}`;
  for (const option of $('mode').options) {
    option.disabled = !info.modes.includes(option.value);
    if (option.disabled) option.textContent = `${option.value} (needs an embedder)`;
  }
  if (info.modes.includes('hybrid')) $('mode').value = 'hybrid';
  for (const id of info.rankers) $('rerank').append(el('option', { value: id, textContent: id }));
  if (info.rankers.length === 0)
    $('rerank').append(el('option', { disabled: true, textContent: 'no rankers installed' }));
  buildFilters(info.facets);
}

function buildFilters(facets) {
  const box = $('filters');
  box.replaceChildren(el('legend', { textContent: 'Filters' }));
  const rank = (field) => (PREFERRED.includes(field) ? PREFERRED.indexOf(field) : PREFERRED.length);
  const text = facets.filter((f) => f.values).sort((a, b) => rank(a.field) - rank(b.field));
  for (const facet of text) {
    const select = el(
      'select',
      { id: `filter-${facet.field}`, name: facet.field },
      el('option', { value: '', textContent: 'any' }),
    );
    for (const value of facet.values) select.append(el('option', { value, textContent: value }));
    select.dataset.kind = 'eq';
    box.append(el('label', { htmlFor: select.id, textContent: `${facet.field} ` }, select));
  }
  for (const facet of facets.filter((f) => f.min !== undefined)) {
    const input = el('input', {
      id: `filter-${facet.field}`,
      name: facet.field,
      type: 'number',
      min: String(facet.min),
      max: String(facet.max),
      placeholder: `${facet.min}–${facet.max}`,
      size: 9,
    });
    input.dataset.kind = 'gte';
    box.append(el('label', { htmlFor: input.id, textContent: `${facet.field} ≥ ` }, input));
  }
  if (facets.length === 0) box.append(el('p', { className: 'muted', textContent: 'no filterable fields' }));
}

function currentFilters() {
  const filters = {};
  for (const control of $('filters').querySelectorAll('select, input')) {
    if (control.value === '') continue;
    filters[control.name] = control.dataset.kind === 'gte' ? { gte: Number(control.value) } : control.value;
  }
  return filters;
}

function snippetNode(text, highlights) {
  const p = el('p', { className: 'snippet' });
  let at = 0;
  for (const [start, end] of highlights) {
    p.append(text.slice(at, start), el('mark', { textContent: text.slice(start, end) }));
    at = end;
  }
  p.append(text.slice(at));
  return p;
}

function metaLine(metadata) {
  const fields = PREFERRED.filter((f) => metadata[f] !== undefined);
  const parts = fields.map((f) => String(metadata[f]));
  if (metadata.salaryMin !== undefined && metadata.salaryMax !== undefined) {
    parts.push(`$${metadata.salaryMin.toLocaleString()}–${metadata.salaryMax.toLocaleString()}`);
  }
  return parts.join(' · ');
}

function render(query, mode, body) {
  const list = $('results');
  list.replaceChildren();
  for (const hit of body.results) {
    const stages = el('div', { className: 'stages', ariaLabel: 'scores per stage' });
    for (const [stage, score] of Object.entries(hit.stages))
      stages.append(el('span', { textContent: `${stage} ${score.toFixed(3)}` }));
    list.append(
      el(
        'li',
        { className: 'result' },
        el(
          'div',
          {},
          el('span', { className: 'title', textContent: hit.title || '(untitled)' }),
          ' ',
          el('span', { className: 'id muted', textContent: hit.id }),
        ),
        el('div', { className: 'meta muted', textContent: metaLine(hit.metadata) }),
        snippetNode(hit.snippet, hit.highlights),
        stages,
      ),
    );
  }
  status.textContent = `${body.results.length} result${body.results.length === 1 ? '' : 's'} for “${query}” (${mode})`;
  $('timings').textContent = Object.entries(body.timings)
    .map(([stage, ms]) => `${stage} ${ms.toFixed(1)} ms`)
    .join(' · ');
}

async function search() {
  const query = $('q').value.trim();
  if (!query) return;
  inFlight?.abort();
  inFlight = new AbortController();
  const mode = $('mode').value;
  const request = { query, k: Number($('k').value), mode, filters: currentFilters() };
  if ($('rerank').value) request.rerank = $('rerank').value;
  const params = new URLSearchParams({ q: query, mode });
  history.replaceState(null, '', `?${params}`);
  status.className = '';
  status.textContent = 'searching…';
  try {
    const response = await fetch('/v1/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: inFlight.signal,
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`${body.error?.message ?? `HTTP ${response.status}`}`);
    render(query, mode, body);
  } catch (error) {
    if (error.name === 'AbortError') return;
    status.className = 'error';
    status.textContent = `Search failed: ${error.message}`;
    $('results').replaceChildren();
    $('timings').textContent = '';
  }
}

async function loadEvaluation() {
  const { reports } = await getJson('/v1/evaluation');
  if (reports.length === 0) return;
  const metrics = ['ndcg@10', 'recall@100', 'mrr@10', 'map'];
  const table = el(
    'table',
    {},
    el('caption', { className: 'visually-hidden', textContent: 'evaluation metrics per run' }),
  );
  const head = el('tr', {}, el('th', { scope: 'col', textContent: 'run' }));
  for (const m of metrics) head.append(el('th', { scope: 'col', textContent: m }));
  table.append(el('thead', {}, head));
  const rows = el('tbody');
  for (const report of reports) {
    const row = el('tr', {}, el('th', { scope: 'row', textContent: report.name }));
    for (const m of metrics)
      row.append(
        el('td', { textContent: report.metrics[m] === undefined ? '–' : report.metrics[m].toFixed(3) }),
      );
    rows.append(row);
  }
  table.append(rows);
  const when = new Date(Math.max(...reports.map((r) => Date.parse(r.updatedAt))));
  $('evaluation').replaceChildren(
    table,
    el('p', {
      className: 'muted',
      textContent: `${reports[0].queries} judged queries · ${when.toLocaleString()}`,
    }),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  search();
});
// Changing the mode, ranker, result count or a filter re-runs the current query.
form.addEventListener('change', (event) => {
  if (event.target.id !== 'q') search();
});

try {
  await loadInfo();
  const params = new URLSearchParams(location.search);
  if (params.get('mode')) $('mode').value = params.get('mode');
  if (params.get('q')) {
    $('q').value = params.get('q');
    search();
  }
  document.body.dataset.ready = 'true';
} catch (error) {
  status.className = 'error';
  status.textContent = `Cannot reach the service: ${error.message}`;
}
loadEvaluation().catch(() => {});
