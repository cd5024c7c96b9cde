// sift's web page: reads the index's modes, rankers and filterable fields from /v1/info, searches
// through POST /v1/search and shows the latest evaluation from /v1/evaluation. Plain browser JavaScript,
// served as is (no build step). All document text goes through textContent, never innerHTML. The whole
// query state (query, mode, results, reranker, depth, filters) lives in the URL, so a search can be shared.

const $ = (id) => document.getElementById(id);
const form = $('search');
const status = $('status');
let inFlight;

/** Text fields shown first when the index has them (the job corpus's useful filters). */
const PREFERRED = ['location', 'seniority', 'workplace', 'employmentType', 'country', 'company'];

/** Human labels for the job corpus's fields; other fields get their camelCase name spelt out. */
const LABELS = {
  employmentType: 'Employment type',
  family: 'Job family',
  salaryMin: 'Minimum salary at least',
  salaryMax: 'Maximum salary at least',
  postedDaysAgo: 'Posted within N days',
};

/** Numeric fields whose filter is an upper bound ("posted within N days"); the rest are lower bounds. */
const UPPER_BOUND = new Set(['postedDaysAgo']);

function labelOf(field) {
  if (LABELS[field]) return LABELS[field];
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

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
  renderRankers(info);
  showDemoReranker(info.demoReranker);
  $('depth').placeholder = `auto`;
  $('depth').title =
    `default: adaptive, at most ${info.rerank.depthCeiling}, within ${info.rerank.budgetMs} ms`;
  buildFilters(info.facets);
}

/** One entry per ranker; the one "default" names says so, and one not built yet says that too. */
function renderRankers(info) {
  const select = $('rerank');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '', textContent: 'none' }));
  for (const ranker of info.rankerStatus) {
    const notes = [];
    if (ranker.id === info.defaultRanker) notes.push('default');
    if (ranker.state === 'loading') notes.push('building…');
    else if (ranker.state === 'not loaded') notes.push('built on first use');
    else if (ranker.state === 'failed') notes.push('failed to load');
    const textContent = notes.length > 0 ? `${ranker.id} (${notes.join(', ')})` : ranker.id;
    select.append(el('option', { value: ranker.id, textContent }));
  }
  if (info.rankerStatus.length === 0)
    select.append(el('option', { disabled: true, textContent: 'no rankers installed' }));
  select.value = chosen;
}

/**
 * The demo's reranker, trained in the background on the service's first start: its progress while it
 * trains or loads (polled every 2 s), then a line saying it is the default, with the ranker list redrawn.
 */
function showDemoReranker(demo) {
  const line = $('demo-reranker');
  if (!demo) {
    line.hidden = true;
    return;
  }
  line.hidden = false;
  const bar = $('demo-progress');
  const numbers = (e) =>
    `NDCG@10 ${e.reranked.ndcg10.toFixed(3)} reranking the top ${e.depth}, against ${e.firstStage.ndcg10.toFixed(3)} for ${e.firstStage.run.replace(' (test queries)', '')} alone, on ${e.queries} judged test queries`;
  bar.hidden = !['training', 'evaluating', 'loading'].includes(demo.state);
  if (demo.state === 'waiting') {
    $('demo-text').textContent =
      `${demo.id}, this corpus's own reranker, will train here once the service is ready.`;
  } else if (demo.state === 'training') {
    bar.max = 1;
    bar.value = demo.steps ? demo.step / demo.steps : 0;
    $('demo-text').textContent = demo.step
      ? `Learning what relevant means for these postings: training ${demo.id} on the judge's labels, step ${demo.step} of at most ${demo.steps} (loss ${demo.loss.toFixed(3)}, ${Math.round(demo.seconds)} s). Search works meanwhile.`
      : `Learning what relevant means for these postings: preparing to train ${demo.id} on the judge's labels (${Math.round(demo.seconds)} s)…`;
  } else if (demo.state === 'evaluating') {
    bar.removeAttribute('value');
    $('demo-text').textContent =
      `${demo.id} is trained; measuring it on the judged test queries, which it never saw…`;
  } else if (demo.state === 'loading') {
    bar.removeAttribute('value');
    $('demo-text').textContent =
      `${demo.id} helps (${numbers(demo.evaluation)}); loading it as the default reranker…`;
  } else if (demo.state === 'ready') {
    $('demo-text').textContent =
      `${demo.id}, trained here on the judge's labels for these postings, is the default reranker: ${numbers(demo.evaluation)}.`;
  } else if (demo.state === 'held back') {
    $('demo-text').textContent =
      `${demo.id} is trained but held back: ${numbers(demo.evaluation)}, so "default" stays as it was. It is in the reranker list to try.`;
  } else {
    $('demo-text').textContent =
      `${demo.id} could not be trained or measured: ${demo.error ?? 'unknown error'}. The default reranker stays as it was.`;
  }
  if (['waiting', 'training', 'evaluating', 'loading'].includes(demo.state))
    setTimeout(pollDemoReranker, 2000);
}

async function pollDemoReranker() {
  try {
    const info = await getJson('/v1/info');
    if (['ready', 'held back'].includes(info.demoReranker?.state)) {
      renderRankers(info);
      loadEvaluation().catch(() => {});
    }
    showDemoReranker(info.demoReranker);
  } catch {
    setTimeout(pollDemoReranker, 5000);
  }
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
    box.append(el('label', { htmlFor: select.id, textContent: `${labelOf(facet.field)} ` }, select));
  }
  for (const facet of facets.filter((f) => f.min !== undefined)) {
    const input = el('input', {
      id: `filter-${facet.field}`,
      name: facet.field,
      type: 'number',
      min: String(facet.min),
      max: String(facet.max),
      placeholder: 'any',
      title: `${facet.min.toLocaleString()}–${facet.max.toLocaleString()}`,
      size: 8,
    });
    input.dataset.kind = UPPER_BOUND.has(facet.field) ? 'lte' : 'gte';
    box.append(el('label', { htmlFor: input.id, textContent: `${labelOf(facet.field)} ` }, input));
  }
  if (facets.length === 0) box.append(el('p', { className: 'muted', textContent: 'no filterable fields' }));
}

function currentFilters() {
  const filters = {};
  for (const control of $('filters').querySelectorAll('select, input')) {
    if (control.value === '') continue;
    const kind = control.dataset.kind;
    filters[control.name] = kind === 'eq' ? control.value : { [kind]: Number(control.value) };
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
  $('rerank-line').textContent = body.rerank
    ? `reranked by ${body.rerank.ranker}, depth ${body.rerank.depth}, in ${Math.round(body.timings.rerank ?? 0)} ms` +
      (body.rerank.depth < body.rerank.requested
        ? ` (${body.rerank.requested} asked; the ${body.rerank.budgetMs} ms budget ran out)`
        : '')
    : '';
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
  const filters = currentFilters();
  const request = { query, k: Number($('k').value), mode, filters };
  if ($('rerank').value) request.rerank = $('rerank').value;
  if ($('rerank').value && $('depth').value) request.rerankDepth = Number($('depth').value);
  history.replaceState(null, '', `?${stateParams(query, mode, filters)}`);
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
    $('rerank-line').textContent = '';
  }
}

/** The query state as URL parameters: q, mode, k, rerank, depth, and one f.<field> per filter. */
function stateParams(query, mode, filters) {
  const params = new URLSearchParams({ q: query, mode, k: $('k').value });
  if ($('rerank').value) params.set('rerank', $('rerank').value);
  if ($('depth').value) params.set('depth', $('depth').value);
  for (const [field, condition] of Object.entries(filters)) {
    params.set(`f.${field}`, typeof condition === 'object' ? String(Object.values(condition)[0]) : condition);
  }
  return params;
}

/** Sets the controls from the URL (a shared or reloaded search). */
function restoreState(params) {
  const set = (id, value) => {
    if (value !== null && $(id)) $(id).value = value;
  };
  set('mode', params.get('mode'));
  set('k', params.get('k'));
  set('rerank', params.get('rerank'));
  set('depth', params.get('depth'));
  for (const [key, value] of params) if (key.startsWith('f.')) set(`filter-${key.slice(2)}`, value);
}

async function loadEvaluation() {
  const { reports } = await getJson('/v1/evaluation');
  $('evaluation').removeAttribute('aria-busy');
  if (reports.length === 0) {
    $('evaluation').replaceChildren(
      el('p', { className: 'muted', textContent: 'no evaluation reports for this index yet' }),
    );
    return;
  }
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
  restoreState(params);
  if (params.get('q')) {
    $('q').value = params.get('q');
    search();
  }
  document.body.dataset.ready = 'true';
} catch (error) {
  status.className = 'error';
  status.textContent = `Cannot reach the service: ${error.message}`;
}
loadEvaluation().catch((error) => {
  $('evaluation').removeAttribute('aria-busy');
  $('evaluation').replaceChildren(
    el('p', { className: 'error', textContent: `cannot load the evaluation: ${error.message}` }),
  );
});
