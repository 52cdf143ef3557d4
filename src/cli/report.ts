/**
 * How `audit` prints a file's reports: one line per file with the worst verdict of its parts (the
 * container and each pickle in it), its parts indented under it, and findings repeated in a part
 * collapsed with a count; or one JSON object per part (jsonl).
 */
import type { AuditReport, Finding, Verdict } from '../audit/analyze.js';
import { SEVERITY_ORDER, type Severity } from '../audit/catalogue.js';
import { hintText } from './hints.js';

export interface Part {
  readonly uri: string;
  readonly report: AuditReport;
}

export interface ReportOptions {
  /** Findings less severe than this are left out. */
  readonly minSeverity: Severity;
  /** Only files (and parts) that are not safe. */
  readonly quiet: boolean;
}

const RANK: Record<Verdict, number> = { safe: 0, malformed: 1, unsafe: 2 };

/** The worst verdict of a file's parts: unsafe, then malformed, then safe. */
export function worstVerdict(parts: readonly Part[]): Verdict {
  return parts.reduce<Verdict>((w, p) => (RANK[p.report.verdict] > RANK[w] ? p.report.verdict : w), 'safe');
}

const severityRank = (s: Severity): number => SEVERITY_ORDER.indexOf(s);

/** A report with only the findings at `min` or above. */
export function withMinSeverity(report: AuditReport, min: Severity): AuditReport {
  const findings = report.findings.filter((f) => severityRank(f.severity) <= severityRank(min));
  return findings.length === report.findings.length ? report : { ...report, findings };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Findings in severity then offset order, those repeated (same rule, severity and message) once with a count. */
function findingLines(findings: readonly Finding[], indent: string): string[] {
  const groups = new Map<string, { first: Finding; count: number }>();
  for (const f of findings) {
    const key = `${f.severity}\n${f.rule}\n${f.message}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { first: f, count: 1 });
    else {
      g.count++;
      if (f.offset < g.first.offset) g.first = f;
    }
  }
  return [...groups.values()]
    .sort((a, b) => severityRank(a.first.severity) - severityRank(b.first.severity) || a.first.offset - b.first.offset)
    .map(({ first: f, count }) => `${indent}${f.severity.padEnd(8)} ${f.rule} at byte ${f.offset}${f.opcode ? ` (${f.opcode})` : ''}${count > 1 ? ` and ${count - 1} more` : ''}: ${f.message}`);
}

const verdictColumn = (v: Verdict): string => v.toUpperCase().padEnd(9);
const counts = (r: AuditReport): string =>
  `(${plural(r.pickles.length, 'pickle')}, ${plural(r.globals.length, 'global')}, ${plural(r.calls.length, 'call site')})`;

/** The text for one file and its parts (empty under --quiet when it is safe); `safeWith`: its hint (hints.ts). */
export function textFile(path: string, parts: readonly Part[], options: ReportOptions, safeWith?: readonly string[]): string {
  const verdict = worstVerdict(parts);
  if (options.quiet && verdict === 'safe') return '';
  const shown = parts.map((p) => ({ uri: p.uri, report: withMinSeverity(p.report, options.minSeverity) }));
  const hint = (indent: string) => (safeWith ? [`${indent}hint: ${hintText(safeWith)}`] : []);
  if (shown.length === 1 && shown[0]!.uri === path) {
    const r = shown[0]!.report;
    return [`${verdictColumn(verdict)} ${path}  ${counts(r)}`, ...findingLines(r.findings, '    '), ...hint('    ')].join('\n') + '\n';
  }
  const tally = (['unsafe', 'malformed', 'safe'] as const).map((v) => [v, shown.filter((p) => p.report.verdict === v).length] as const).filter(([, n]) => n > 0);
  const lines = [`${verdictColumn(verdict)} ${path}  (${plural(shown.length, 'part')}: ${tally.map(([v, n]) => `${n} ${v}`).join(', ')})`];
  for (const { uri, report } of shown) {
    // The container's own part says something only with findings; quiet shows what is not safe.
    if (uri === path && report.verdict === 'safe' && report.findings.length === 0 && report.pickles.length === 0) continue;
    if (options.quiet && report.verdict === 'safe') continue;
    lines.push(`  ${verdictColumn(report.verdict)} ${uri}  ${counts(report)}`, ...findingLines(report.findings, '      '));
  }
  return [...lines, ...hint('  ')].join('\n') + '\n';
}

/** One JSON line per part: the file, the part, its report, and the file's hint (`safeWith`: --policy values). */
export function jsonlFile(path: string, parts: readonly Part[], options: ReportOptions, safeWith?: readonly string[]): string {
  if (options.quiet && worstVerdict(parts) === 'safe') return '';
  return parts
    .filter((p) => !(options.quiet && p.report.verdict === 'safe'))
    .map((p) => `${JSON.stringify({ file: path, part: p.uri, ...withMinSeverity(p.report, options.minSeverity), ...(safeWith ? { safeWith } : {}) })}\n`)
    .join('');
}
