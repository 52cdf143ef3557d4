/**
 * `audit --format sarif` validated against the official SARIF 2.1.0 schema
 * (test/fixtures/sarif-schema-2.1.0.json, from oasis-tcs/sarif-spec), on the built CLI, and what
 * GitHub code scanning asks beyond it (a startLine in every region, URIs it can resolve).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUri } from '../src/audit/sarif.js';
import { bundleCli } from './helpers/cli-bundle.js';
import { validate } from './helpers/json-schema.js';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist', `.cli-sarif-test-${process.pid}`);
const CLI = join(OUT_DIR, 'cli.js');
const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
const work = mkdtempSync(join(tmpdir(), 'pickleguard-sarif-'));

beforeAll(async () => {
  await bundleCli(OUT_DIR);
}, 60_000);
afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function sarif(args: string[], input?: Buffer): { status: number | null; doc: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [CLI, 'audit', '--format', 'sarif', ...args], { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 1 << 28 });
  return { status: r.status, doc: JSON.parse(r.stdout) as Record<string, unknown> };
}

type Result = { locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[] };
const results = (doc: Record<string, unknown>) => (doc.runs as { results: Result[] }[])[0]!.results;

describe('SARIF output', () => {
  it('is valid SARIF 2.1.0 for every corpus directory, with a startLine in every region', () => {
    for (const dir of ['corpus/malicious', 'corpus/torch', 'corpus/containers', 'corpus/hostile', 'corpus/numpy']) {
      const { status, doc } = sarif([dir]);
      expect(status, dir).toBe(1);
      expect(validate(SCHEMA, doc), dir).toEqual([]);
      expect(results(doc).length, dir).toBeGreaterThan(0);
      for (const r of results(doc)) expect(r.locations[0]!.physicalLocation.region.startLine).toBe(1);
    }
  });

  it('gives paths as URI references: relative stay relative, absolute become file: URIs, odd characters escaped', () => {
    const odd = join(work, 'a dir#1', 'évil %20(x).pkl');
    mkdirSync(join(work, 'a dir#1'));
    copyFileSync(join(ROOT, 'corpus', 'malicious', 'builtins_eval_py2.pkl'), odd);
    const { doc } = sarif([odd]);
    expect(validate(SCHEMA, doc)).toEqual([]);
    const uri = results(doc)[0]!.locations[0]!.physicalLocation.artifactLocation.uri;
    expect(uri).toMatch(/^file:\/\/\/\S+%23\S+%2520%28x%29\.pkl$/);
    expect(decodeURIComponent(new URL(uri).pathname)).toBe(odd);
    expect(fileUri('corpus/a b.pkl')).toBe('corpus/a%20b.pkl');
    const stdin = sarif(['-'], readFileSync(odd));
    expect(validate(SCHEMA, stdin.doc)).toEqual([]);
  });

  it('the validator is no rubber stamp: it rejects documents the schema rejects', () => {
    const { doc } = sarif(['corpus/malicious']);
    const broken = (edit: (d: any) => void) => {
      const d = structuredClone(doc);
      edit(d);
      return validate(SCHEMA, d);
    };
    expect(broken((d) => delete d.version)).not.toEqual([]);
    expect(broken((d) => (d.version = '2.0.0'))).not.toEqual([]);
    expect(broken((d) => (d.runs[0].results[0].level = 'fatal'))).not.toEqual([]);
    expect(broken((d) => (d.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0))).not.toEqual([]);
    expect(broken((d) => (d.runs[0].results[0].message = {}))).not.toEqual([]);
    expect(broken((d) => (d.runs[0].tool.driver.rules[0].surprise = 1))).not.toEqual([]);
    expect(broken((d) => (d.runs[0].artifacts[0].location.uri = 'has space'))).not.toEqual([]);
    expect(broken((d) => (d.runs[0].tool.driver.rules = [d.runs[0].tool.driver.rules[0], d.runs[0].tool.driver.rules[0]]))).not.toEqual([]);
  });
});

