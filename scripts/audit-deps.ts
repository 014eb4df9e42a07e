/**
 * The dependency audit of CI (policy in SECURITY.md): `npm audit --omit=dev --json` on the
 * production dependencies, failing on any high or critical advisory unless the allowlist
 * (scripts/audit-allowlist.json) names it with a reason and an expiry date still ahead.
 *
 *   npx tsx scripts/audit-deps.ts            exit 0 pass, 1 advisories to fix, 2 audit not possible
 *
 * When the advisory service cannot be reached (offline, a registry mirror without the audit
 * endpoint), the step warns and passes, so an outage does not block every change; set
 * PARCELWATCH_AUDIT_STRICT=1 (release builds) to fail instead.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Severities that fail the audit; moderate and below are reported only. */
export const FAILING_SEVERITIES: ReadonlySet<string> = new Set(['high', 'critical']);
export const ALLOWLIST_FILE = path.join(__dirname, 'audit-allowlist.json');
/** npm audit on a large tree takes seconds; a hung registry should not hold CI for long. */
const AUDIT_TIMEOUT_MS = 120_000;

export interface Advisory {
  /** GHSA id when the advisory has one (`GHSA-xxxx-xxxx-xxxx`), else `npm:<source>`. */
  id: string;
  package: string;
  severity: string;
  title: string;
  url: string;
  range: string;
}

export interface AllowlistEntry {
  id: string;
  package?: string;
  reason: string;
  /** YYYY-MM-DD: from this day on the entry no longer allows the advisory. */
  expires: string;
}

export interface AuditVerdict {
  /** Why the audit fails (empty: it passes). */
  failures: string[];
  warnings: string[];
  /** Every advisory found, for the log. */
  advisories: Advisory[];
}

/** npm audit's report (auditReportVersion 2), as far as this script reads it. */
interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, { via?: unknown[] }>;
  error?: { summary?: string; detail?: string };
  message?: string;
}

/** The advisories of a report, each once (a package is often reached through several others). */
export function advisoriesOf(report: AuditReport): Advisory[] {
  const found = new Map<string, Advisory>();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via ?? []) {
      if (typeof via !== 'object' || via === null) continue; // a name: the advisory is listed there
      const v = via as Record<string, unknown>;
      const url = String(v.url ?? '');
      const id = /GHSA(-[a-z0-9]{4}){3}/i.exec(url)?.[0] ?? `npm:${String(v.source ?? '?')}`;
      found.set(`${id} ${String(v.name)}`, {
        id,
        package: String(v.name ?? v.dependency ?? '?'),
        severity: String(v.severity ?? 'unknown'),
        title: String(v.title ?? ''),
        url,
        range: String(v.range ?? ''),
      });
    }
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Applies the policy to a report and the allowlist, as of `today` (YYYY-MM-DD). */
export function evaluateAudit(
  report: AuditReport,
  allowlist: AllowlistEntry[],
  today: string,
): AuditVerdict {
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const entry of allowlist) {
    if (!/^GHSA(-[a-z0-9]{4}){3}$|^npm:\d+$/i.test(entry.id ?? '')) {
      failures.push(`allowlist entry ${JSON.stringify(entry.id)}: not a GHSA id or npm:<number>`);
    }
    if (!entry.reason?.trim()) failures.push(`allowlist entry ${entry.id}: gives no reason`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(entry.expires ?? '')) {
      failures.push(`allowlist entry ${entry.id}: "expires" must be a YYYY-MM-DD date`);
    }
  }
  const advisories = advisoriesOf(report);
  for (const advisory of advisories) {
    if (!FAILING_SEVERITIES.has(advisory.severity)) continue;
    const entry = allowlist.find(
      (e) =>
        e.id.toLowerCase() === advisory.id.toLowerCase() &&
        (!e.package || e.package === advisory.package),
    );
    const what = `${advisory.id} (${advisory.severity}) in ${advisory.package} ${advisory.range}: ${advisory.title} ${advisory.url}`;
    if (!entry) {
      failures.push(
        `${what} — upgrade (npm audit fix, or a newer direct dependency), or allowlist it with a reason and an expiry date`,
      );
    } else if (entry.expires <= today) {
      failures.push(
        `${what} — its allowlist entry expired on ${entry.expires} (${entry.reason}); fix it or renew the entry with a new reason`,
      );
    } else {
      warnings.push(`${what} — allowed until ${entry.expires}: ${entry.reason}`);
    }
  }
  for (const entry of allowlist) {
    if (!advisories.some((a) => a.id.toLowerCase() === entry.id.toLowerCase())) {
      warnings.push(`allowlist entry ${entry.id} matches no advisory any more; remove it`);
    }
  }
  return { failures, warnings, advisories };
}

/** Why a report is no audit at all (npm could not reach the advisory service), or undefined. */
export function auditUnavailable(report: AuditReport): string | undefined {
  if (report.auditReportVersion !== undefined && report.vulnerabilities) return undefined;
  return (
    report.error?.summary || report.error?.detail || report.message || 'npm audit printed no report'
  );
}

export function readAllowlist(file = ALLOWLIST_FILE): AllowlistEntry[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { advisories?: AllowlistEntry[] };
  if (!Array.isArray(parsed.advisories)) {
    throw new Error(`${file}: expected {"advisories": [...]}`);
  }
  return parsed.advisories;
}

function runNpmAudit(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['audit', '--omit=dev', '--json'],
      { cwd: path.join(__dirname, '..'), timeout: AUDIT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      // npm audit exits 1 when it finds anything: the report on stdout is what counts.
      (error, stdout) =>
        stdout.trim() ? resolve(stdout) : reject(error ?? new Error('no output')),
    );
  });
}

async function main(): Promise<number> {
  const strict = /^(1|true|yes)$/i.test(process.env.PARCELWATCH_AUDIT_STRICT ?? '');
  let report: AuditReport;
  try {
    report = JSON.parse(await runNpmAudit()) as AuditReport;
  } catch (error) {
    report = { message: (error as Error).message };
  }
  const unavailable = auditUnavailable(report);
  if (unavailable) {
    const line = `audit: the advisory service could not be asked (${unavailable.split('\n')[0]})`;
    if (strict) {
      console.error(`${line}; PARCELWATCH_AUDIT_STRICT is set, so this fails`);
      return 2;
    }
    console.warn(
      `WARNING ${line}; passing without an audit (set PARCELWATCH_AUDIT_STRICT=1 to fail)`,
    );
    return 0;
  }
  const today = new Date().toISOString().slice(0, 10);
  const verdict = evaluateAudit(report, readAllowlist(), today);
  const counts = verdict.advisories.reduce<Record<string, number>>((all, a) => {
    all[a.severity] = (all[a.severity] ?? 0) + 1;
    return all;
  }, {});
  console.log(
    `audit of production dependencies: ${verdict.advisories.length} advisories ${JSON.stringify(counts)}`,
  );
  for (const advisory of verdict.advisories.filter((a) => !FAILING_SEVERITIES.has(a.severity))) {
    console.log(
      `  note: ${advisory.id} (${advisory.severity}) in ${advisory.package}: ${advisory.title}`,
    );
  }
  for (const warning of verdict.warnings) console.warn(`  warning: ${warning}`);
  for (const failure of verdict.failures) console.error(`  FAIL: ${failure}`);
  return verdict.failures.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`audit: ${(error as Error).message}`);
      process.exitCode = 2;
    },
  );
}
