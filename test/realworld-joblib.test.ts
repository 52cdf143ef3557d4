/**
 * Files the real joblib.dump wrote (corpus/realworld/gen_joblib.py): each loads with loadJoblib to
 * the value joblib.load gave, or, for compressions not read here, fails with a MalformedPickleError
 * that names the format.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audit, createPolicy, loadJoblib, MalformedPickleError, shippedPack } from '../src/index.js';
import { described, expectedForm, hostileCases, loadOutcome, realworldFixtures , VERDICT_OF } from './helpers/described.js';

const files = realworldFixtures('joblib', (n) => /\.joblib(\.[a-z0-9]+)?$/.test(n));
const JOBLIB = createPolicy({ packs: [shippedPack('joblib')] });
const SKLEARN = createPolicy({ packs: [shippedPack('joblib'), shippedPack('scikit-learn')] });

describe(`corpus/realworld/joblib (${files.length} files)`, () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(10));
  it.each(files)('%s', async (_name, path, spec) => {
    const bytes = new Uint8Array(readFileSync(path));
    const policy = /estimator/.test(path) ? SKLEARN : undefined;
    if (spec.error !== undefined) {
      const e = await loadJoblib(bytes).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(MalformedPickleError);
      expect((e as Error).message).toContain(spec.names as string);
      return;
    }
    const value = await loadJoblib(bytes, { exact: true, ...(policy ? { policy } : {}) });
    expect(described(value, spec.protocol as number)).toEqual(expectedForm(spec.value));
  });
});

describe('corpus/realworld/hostile: joblib variants', () => {
  const cases = hostileCases('joblib');
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(2));
  it.each(cases)('%s', async (_name, bytes, c) => {
    expect(await loadOutcome(() => loadJoblib(bytes)), c.why).toBe(c.expect);
    expect(audit(bytes, { policy: JOBLIB, joblib: true }).verdict, c.why).toBe(VERDICT_OF[c.expect]);
  });
});
