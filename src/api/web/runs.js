// @ts-check
import { formatDuration, formatWindow, runFacts } from './run-kpis.js';

/**
 * The panel of the latest pipeline runs (`GET /v1/runs`): status, what and when, and KPIs.
 */

/** Runs listed: the last few weeks of weekly runs with their backfills. */
const RUNS_SHOWN = 10;

export class RunsPanel {
  /**
   * @param {HTMLElement} list the `<ol>` the runs go in
   * @param {import('./api-client.js').ApiClient} api
   * @param {(error: unknown) => void} onError
   */
  constructor(list, api, onError) {
    this.list = list;
    this.api = api;
    this.onError = onError;
  }

  async load() {
    this.list.dataset.state = 'loading';
    try {
      const body = /** @type {{ items: import('./run-kpis.js').Run[] }} */ (
        await this.api.get('/v1/runs', { limit: RUNS_SHOWN })
      );
      this.list.replaceChildren(...body.items.map(runItem));
      if (!body.items.length) this.list.append(emptyItem());
      this.list.dataset.state = 'ready';
    } catch (error) {
      this.list.dataset.state = 'failed';
      this.onError(error);
    }
  }
}

/** @param {import('./run-kpis.js').Run} run */
function runItem(run) {
  const item = element('li', `run status-${run.status}`);
  item.dataset.workflowId = run.workflowId;
  item.dataset.runId = run.runId;
  const head = element('div', 'run-head');
  head.append(
    element('span', `badge status-${run.status}`, run.status),
    element('strong', 'run-id', run.workflowId),
  );
  const meta = element(
    'div',
    'run-meta',
    [
      `${run.kind}, ${run.trigger}${run.triggeredBy ? ` by ${run.triggeredBy}` : ''}`,
      `window ${formatWindow(run.window)}`,
      `started ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
      `${run.finishedAt ? 'took' : 'running for'} ${formatDuration(run.startedAt, run.finishedAt)}`,
    ].join(' · '),
  );
  const facts = element('dl', 'kpis');
  for (const fact of runFacts(run)) {
    facts.append(element('dt', '', fact.label), element('dd', '', fact.text));
  }
  item.append(head, meta, facts);
  if (run.error) item.append(element('p', 'run-error', run.error));
  return item;
}

function emptyItem() {
  return element('li', 'run-empty', 'No run recorded yet.');
}

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
