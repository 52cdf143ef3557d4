/** Building container reports: offsets moved into the whole file, parts merged, verdicts from findings. */
import { audit, type AuditOptions, type AuditReport, type Finding, type Verdict } from '../audit/analyze.js';

/** The first pickle of `bytes` audited alone, as one `pickle.load` call reads it (`firstOnly`). */
export function auditFirst(bytes: Uint8Array, options: AuditOptions): AuditReport {
  return audit(bytes, { ...options, firstOnly: true });
}

/** Offsets of a report on a slice, moved to offsets in the whole file. */
export function shift(r: AuditReport, by: number): AuditReport {
  if (by === 0) return r;
  return {
    ...r,
    pickles: r.pickles.map((p) => ({ ...p, start: p.start + by, end: p.end + by })),
    globals: r.globals.map((g) => ({ ...g, offset: g.offset + by })),
    calls: r.calls.map((c) => ({ ...c, offset: c.offset + by })),
    findings: r.findings.map((f) => ({ ...f, offset: f.offset + by })),
  };
}

const RANK: Readonly<Record<Verdict, number>> = { safe: 0, unsafe: 1, malformed: 2 };

export function worst(...verdicts: Verdict[]): Verdict {
  return verdicts.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'safe' as Verdict);
}

/** A container's own verdict: malformed for a high reader-level finding, else unsafe for a serious one. */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => (f.rule === 'PG007' || f.rule === 'PG010') && (f.severity === 'high' || f.severity === 'critical'))) return 'malformed';
  return findings.some((f) => f.severity === 'high' || f.severity === 'critical') ? 'unsafe' : 'safe';
}

export function containerReport(findings: Finding[], bytes: number, policy: string, verdict: Verdict = verdictOf(findings)): AuditReport {
  return { verdict, policy, bytes, pickles: [], globals: [], calls: [], findings };
}

/** Several pickles of one file (already shifted) as one report; its verdict is the worst of theirs and of `findings`. */
export function merge(parts: readonly AuditReport[], findings: Finding[], bytes: number, policy: string): AuditReport {
  return {
    verdict: worst(verdictOf(findings), ...parts.map((p) => p.verdict)),
    policy,
    bytes,
    pickles: parts.flatMap((p) => p.pickles),
    globals: parts.flatMap((p) => p.globals),
    calls: parts.flatMap((p) => p.calls),
    findings: [...findings, ...parts.flatMap((p) => p.findings)],
  };
}
