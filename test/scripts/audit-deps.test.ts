import assert from 'node:assert/strict';
import {
  ALLOWLIST_FILE,
  type AllowlistEntry,
  auditUnavailable,
  evaluateAudit,
  readAllowlist,
} from '../../scripts/audit-deps';

/** An `npm audit --json` report (auditReportVersion 2) with one advisory per severity given. */
function report(...advisories: Array<{ id: string; name: string; severity: string }>) {
  const vulnerabilities: Record<string, { via: unknown[] }> = {};
  for (const a of advisories) {
    vulnerabilities[a.name] = {
      via: [
        {
          source: 1_100_000,
          name: a.name,
          dependency: a.name,
          title: `${a.name} does something bad`,
          url: `https://github.com/advisories/${a.id}`,
          severity: a.severity,
          range: '<9.9.9',
        },
      ],
    };
    // A dependent reached through it: listed by name only, the advisory counted once.
    vulnerabilities[`uses-${a.name}`] = { via: [a.name] };
  }
  return { auditReportVersion: 2, vulnerabilities, metadata: {} };
}

const HIGH = { id: 'GHSA-aaaa-bbbb-cccc', name: 'parser', severity: 'high' };
const CRITICAL = { id: 'GHSA-dddd-eeee-ffff', name: 'zipper', severity: 'critical' };
const MODERATE = { id: 'GHSA-gggg-hhhh-jjjj', name: 'colours', severity: 'moderate' };
const TODAY = '2026-11-26';

const allow = (
  id: string,
  expires: string,
  reason = 'not reachable: only used by the CLI help',
): AllowlistEntry => ({
  id,
  reason,
  expires,
});

describe('dependency audit policy (scripts/audit-deps.ts)', () => {
  it('passes a clean report and one with moderate advisories only (reported, not failing)', () => {
    assert.deepEqual(evaluateAudit(report(), [], TODAY).failures, []);
    const verdict = evaluateAudit(report(MODERATE), [], TODAY);
    assert.deepEqual(verdict.failures, []);
    assert.deepEqual(
      verdict.advisories.map((a) => a.id),
      [MODERATE.id],
    );
  });

  it('fails on each high or critical advisory, naming it and what to do', () => {
    const verdict = evaluateAudit(report(HIGH, CRITICAL, MODERATE), [], TODAY);
    assert.equal(verdict.failures.length, 2);
    assert.match(
      verdict.failures[0]!,
      /GHSA-aaaa-bbbb-cccc \(high\) in parser <9\.9\.9: .* — upgrade/,
    );
    assert.match(verdict.failures[1]!, /GHSA-dddd-eeee-ffff \(critical\) in zipper/);
  });

  it('lets an allowlisted advisory pass until its expiry date, then fails it again', () => {
    const allowed = evaluateAudit(report(HIGH), [allow(HIGH.id, '2026-12-31')], TODAY);
    assert.deepEqual(allowed.failures, []);
    assert.match(allowed.warnings.join(), /allowed until 2026-12-31: not reachable/);
    const expired = evaluateAudit(report(HIGH), [allow(HIGH.id, TODAY)], TODAY);
    assert.match(expired.failures.join(), /its allowlist entry expired on 2026-11-26/);
  });

  it('refuses allowlist entries without a reason, a date or a valid id, and flags stale ones', () => {
    const verdict = evaluateAudit(
      report(),
      [allow('GHSA-zzzz-zzzz-zzzz', 'soon', ' '), allow('CVE-2026-1', '2027-01-01')],
      TODAY,
    );
    assert.match(verdict.failures.join('\n'), /GHSA-zzzz-zzzz-zzzz: gives no reason/);
    assert.match(verdict.failures.join('\n'), /"expires" must be a YYYY-MM-DD date/);
    assert.match(verdict.failures.join('\n'), /"CVE-2026-1": not a GHSA id/);
    assert.match(verdict.warnings.join('\n'), /matches no advisory any more; remove it/);
  });

  it('tells a report from npm failing to reach the advisory service', () => {
    assert.equal(auditUnavailable(report()), undefined);
    assert.match(
      auditUnavailable({
        message:
          '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      }) ?? '',
      /405 Method Not Allowed/,
    );
    assert.equal(
      auditUnavailable({ error: { summary: 'getaddrinfo ENOTFOUND' } }),
      'getaddrinfo ENOTFOUND',
    );
  });

  it('keeps a committed allowlist whose entries all follow the policy', () => {
    const entries = readAllowlist(ALLOWLIST_FILE);
    assert.deepEqual(evaluateAudit(report(), entries, TODAY).failures, []);
  });
});
