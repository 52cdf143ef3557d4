/** SARIF 2.1.0 for code-scanning dashboards: one run, a rule per finding kind, a result per finding. */
import { RULES, type AuditReport, type Finding } from './analyze.js';
import type { Severity } from './catalogue.js';

const RULE_HELP: Readonly<Record<keyof typeof RULES, string>> = {
  PG001: 'The pickle names a global that gives code execution, file or network access, import machinery or an attribute gadget.',
  PG002: 'The pickle names a global that the policy does not allow; a loader with this policy would refuse it.',
  PG005: 'An extension code (EXT1/2/4) names a global through a registry the scan does not have.',
  PG006: 'A global is used in a way the policy does not allow (called, instantiated or given state).',
  PG007: 'The input is not a complete, well-formed pickle; the scan stopped there.',
  PG008: 'More than one pickle in the input; each was scanned.',
  PG009: 'A persistent id: the loader hands it to its persistentLoad callback.',
  PG010: 'A resource limit was reached; the rest was not scanned.',
  PG011: 'How a container was read: its format, and parts of it that hold no pickle.',
};

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** `{ uri, report }` per scanned pickle (an inner pickle's uri is `file!member`). */
export interface SarifInput {
  readonly uri: string;
  readonly report: AuditReport;
  /** The `--policy` values under which the file is safe, when shipped packs would make it so. */
  readonly safeWith?: readonly string[];
}

/** Findings a shipped pack can answer: a name or a use the policy does not allow. */
const REFUSALS: ReadonlySet<string> = new Set(['PG002', 'PG006']);

export function toSarif(inputs: readonly SarifInput[], version: string): object {
  const ruleIds = Object.keys(RULES) as (keyof typeof RULES)[];
  const result = (uri: string, f: Finding, safeWith: readonly string[] | undefined) => {
    const [file, member] = splitMember(uri);
    const hint = safeWith && REFUSALS.has(f.rule) ? ` (the file is safe with ${safeWith.map((p) => `--policy ${p}`).join(' ')})` : '';
    return {
      ruleId: f.rule,
      ruleIndex: ruleIds.indexOf(f.rule),
      level: LEVEL[f.severity],
      message: { text: `${member ? `${member}: ` : ''}${f.message}${hint}` },
      // GitHub code scanning places results by line (startLine is required there): a pickle is one line.
      // A member's offsets are in the member's bytes, not the file's: they are in the properties only.
      locations: [{ physicalLocation: { artifactLocation: { uri: fileUri(file) }, region: member ? { startLine: 1 } : { startLine: 1, byteOffset: f.offset, byteLength: 1 } } }],
      properties: {
        severity: f.severity,
        byteOffset: f.offset,
        ...(f.name ? { global: f.name } : {}),
        ...(f.category ? { category: f.category } : {}),
        ...(member ? { member } : {}),
        ...(safeWith ? { safeWith } : {}),
      },
    };
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pickleguard',
            version,
            rules: ruleIds.map((id) => ({
              id,
              name: RULES[id],
              shortDescription: { text: RULES[id].replace(/-/g, ' ') },
              fullDescription: { text: RULE_HELP[id] },
              defaultConfiguration: { level: id === 'PG008' || id === 'PG009' || id === 'PG011' ? 'note' : id === 'PG002' || id === 'PG007' ? 'warning' : 'error' },
            })),
          },
        },
        artifacts: [...new Set(inputs.map((i) => splitMember(i.uri)[0]))].map((uri) => ({ location: { uri: fileUri(uri) } })),
        results: inputs.flatMap((i) => i.report.findings.map((f) => result(i.uri, f, i.safeWith))),
        properties: { verdicts: Object.fromEntries(inputs.map((i) => [i.uri, i.report.verdict])) },
      },
    ],
  };
}

/**
 * A path as a URI reference: relative paths stay relative (code scanning resolves them from the
 * checkout), absolute ones become file: URIs; characters a URI cannot hold are percent-encoded.
 */
export function fileUri(path: string): string {
  const encoded = path.split('/').map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
  return path.startsWith('/') ? `file://${encoded}` : encoded;
}

function splitMember(uri: string): [string, string | undefined] {
  const i = uri.indexOf('!');
  return i < 0 ? [uri, undefined] : [uri.slice(0, i), uri.slice(i + 1)];
}
