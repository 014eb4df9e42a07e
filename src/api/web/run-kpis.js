// @ts-check

/**
 * How the runs panel words a pipeline run (`GET /v1/runs`): its window, duration and data-quality
 * KPIs as short label/text pairs. KPIs the page does not know are still shown, by their name.
 */

/**
 * @typedef {object} Run as `GET /v1/runs` gives it
 * @property {string} workflowId
 * @property {string} runId
 * @property {string} kind
 * @property {{ start: string, end: string } | null} window
 * @property {string} trigger
 * @property {string | null} triggeredBy
 * @property {'running' | 'completed' | 'degraded' | 'failed' | 'cancelled'} status
 * @property {Record<string, number>} counts
 * @property {Record<string, unknown>} kpis
 * @property {string | null} error
 * @property {string | null} codeVersion
 * @property {string} startedAt
 * @property {string | null} finishedAt
 */

/** @typedef {{ label: string, text: string }} Fact */

/**
 * The KPI lines of a run: the pipeline's own KPIs in their words (pairs such as observed/expected
 * on one line), then any other KPI by its name. Per-step timings are left to the run's own page.
 * @param {Run} run
 * @returns {Fact[]}
 */
export function runFacts(run) {
  const rest = new Map(Object.entries(run.kpis));
  rest.delete('timingsMs');
  /** Takes a KPI out of `rest` when it is a number (null counts as "nothing measured"). */
  const take = (/** @type {string} */ name) => {
    const value = rest.get(name);
    if (typeof value !== 'number' && value !== null) return undefined;
    rest.delete(name);
    return value;
  };
  /** @type {Fact[]} */
  const facts = [];
  const observed = take('parcelsObserved');
  const expected = take('parcelsExpected');
  if (typeof observed === 'number' && typeof expected === 'number') {
    const ratio = expected === 0 ? '' : ` (${formatShare(observed / expected)})`;
    facts.push({ label: 'Parcels observed', text: `${observed} of ${expected}${ratio}` });
  } else {
    if (observed !== undefined) facts.push({ label: 'Parcels observed', text: text(observed) });
    if (expected !== undefined) facts.push({ label: 'Parcels expected', text: text(expected) });
  }
  const okShare = take('okShare');
  if (okShare !== undefined)
    facts.push({ label: 'Parcels with an ok value', text: share(okShare) });
  const validFraction = take('meanValidFraction');
  if (validFraction !== undefined) {
    facts.push({ label: 'Mean valid fraction', text: share(validFraction) });
  }
  const used = take('scenesUsed');
  const found = take('scenesFound');
  const failedScenes = take('scenesFailed');
  if (typeof used === 'number' && typeof found === 'number') {
    const failed = failedScenes ? `, ${failedScenes} failed` : '';
    facts.push({ label: 'Scenes used', text: `${used} of ${found}${failed}` });
  } else {
    if (used !== undefined) facts.push({ label: 'Scenes used', text: text(used) });
    if (found !== undefined) facts.push({ label: 'Scenes found', text: text(found) });
    if (failedScenes !== undefined)
      facts.push({ label: 'Scenes failed', text: text(failedScenes) });
  }
  const failedActivities = take('failedActivities');
  if (failedActivities !== undefined) {
    facts.push({ label: 'Failed activities', text: text(failedActivities) });
  }
  const bytes = take('bytesDownloaded');
  if (bytes !== undefined) {
    facts.push({ label: 'Downloaded', text: bytes === null ? 'n/a' : formatBytes(bytes) });
  }
  for (const [name, value] of rest) facts.push({ label: name, text: text(value) });
  return facts;
}

/**
 * A share as a percentage with one decimal: 0.93 → "93.0 %".
 * @param {number} share
 */
export function formatShare(share) {
  return `${(share * 100).toFixed(1)} %`;
}

/**
 * Bytes in decimal units with one decimal: 12_345_678 → "12.3 MB".
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * How long a run took (or has been running, as of `now`): "42 s", "14 min 10 s", "2 h 05 min",
 * "3 d 4 h".
 * @param {string} startedAt
 * @param {string | null} finishedAt
 * @param {number} [now] ms since the epoch, for a run still going
 */
export function formatDuration(startedAt, finishedAt, now = Date.now()) {
  const end = finishedAt === null ? now : Date.parse(finishedAt);
  const seconds = Math.max(0, Math.round((end - Date.parse(startedAt)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * A run's data window as dates, the end shown inclusive (the stored end is exclusive):
 * 2024-05-13T00:00Z–2024-05-20T00:00Z → "2024-05-13 – 2024-05-19".
 * @param {{ start: string, end: string } | null} window
 */
export function formatWindow(window) {
  if (!window) return '—';
  const lastDay = new Date(Date.parse(window.end) - 1);
  return `${window.start.slice(0, 10)} – ${lastDay.toISOString().slice(0, 10)}`;
}

/** @param {unknown} value a share, or null when there was nothing to measure */
function share(value) {
  return typeof value === 'number' ? formatShare(value) : 'n/a';
}

/** @param {unknown} value */
function text(value) {
  if (value === null) return 'n/a';
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
