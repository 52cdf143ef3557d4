/**
 * Mutated real-world files (corpus/realworld): whatever the bytes, the pandas, scikit-learn and joblib
 * loaders return a value or throw one of our PickleErrors, never a bug of ours (a TypeError in a
 * reconstructor surfaces as reconstructor_failed or internal_error). Bounded: 400 mutations per file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPolicy, loadJoblib, loads, PdDataFrame, PdSeries, PickleError, shippedPack } from '../src/index.js';
import { realworldFixtures } from './helpers/described.js';
import { mutate, mutateOps, Rng } from './helpers/fuzz-tools.js';

const PANDAS = createPolicy({ packs: [shippedPack('pandas')] });
const SKLEARN = createPolicy({ packs: [shippedPack('scikit-learn')] });
const JOBLIB = createPolicy({ packs: [shippedPack('joblib'), shippedPack('scikit-learn')] });
const ROUNDS = 400;

/** The error's code when it is a bug of ours, else null. */
function bug(e: unknown): string | null {
  if (!(e instanceof PickleError)) return `${(e as Error)?.name}: ${(e as Error)?.message}`;
  return e.code === 'internal_error' || e.code === 'reconstructor_failed' ? `${e.code}: ${e.message}` : null;
}

/** A value the pandas model gives back must answer its own questions without throwing. */
function touch(v: unknown): void {
  if (v instanceof PdDataFrame) v.toRows();
  if (v instanceof PdSeries) v.toRows();
}

const pick = (producer: string, names: RegExp) => realworldFixtures(producer, (n) => names.test(n)).map(([name, path]) => [name, new Uint8Array(readFileSync(path))] as const);

describe('mutated real-world files fail only with our errors', () => {
  const sets = [
    ['pandas', pick('pandas', /^(mixed\.p4|multi_index\.p4|series_categorical\.p4|period_index\.p4)\.pkl$/), (b: Uint8Array) => touch(loads(b, { policy: PANDAS }))],
    ['sklearn', pick('sklearn', /^(decision_tree_classifier|kd_tree|pipeline|hist_gradient_boosting)\.p4\.pkl$/), (b: Uint8Array) => loads(b, { policy: SKLEARN })],
  ] as const;
  for (const [producer, files, load] of sets) {
    it.each(files)(`${producer} %s`, (_name, seed) => {
      const rng = new Rng(12);
      const bugs: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const { data } = r % 2 ? mutate(rng, seed, seed) : mutateOps(rng, seed, seed);
        try {
          load(data);
        } catch (e) {
          const b = bug(e);
          if (b !== null && bugs.length < 5) bugs.push(b);
        }
      }
      expect(bugs).toEqual([]);
    });
  }

  it.each(pick('joblib', /^(arrays\.p4|objects\.p4|estimator\.p4)\.joblib$/))('joblib %s', async (_name, seed) => {
    const rng = new Rng(12);
    const bugs: string[] = [];
    for (let r = 0; r < ROUNDS / 2; r++) {
      const { data } = r % 2 ? mutate(rng, seed, seed, 1 << 17) : mutateOps(rng, seed, seed, 1 << 17);
      await loadJoblib(data, { policy: JOBLIB }).catch((e: unknown) => {
        const b = bug(e);
        if (b !== null && bugs.length < 5) bugs.push(b);
      });
    }
    expect(bugs).toEqual([]);
  });
});
