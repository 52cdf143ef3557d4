/**
 * The golden corpus (corpus/generate.py, run with CPython): every valid pickle loads to the value
 * CPython loads, under each option set recorded beside it; every malformed one fails with the class
 * of error recorded beside it; every proper prefix of every valid pickle fails as truncated.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LimitExceededError,
  createPolicy,
  loads,
  shippedPack,
  MalformedPickleError,
  PickleError,
  RefusedGlobalError,
  TruncatedPickleError,
  PyByteArray,
  type LoadOptions,
} from '../src/index.js';
import { nestingDepth } from '../src/unpickler/graph.js';
import { CORPUS, expectations, hexToBytes, pickleFiles } from './helpers/corpus.js';
import { normalizeExpected, toTyped } from './helpers/typed.js';

const valid = pickleFiles('valid');
const malformed = pickleFiles('malformed');

function optionsOf(spec: Record<string, unknown>): LoadOptions {
  const options: LoadOptions = { exact: true, ...((spec.options as LoadOptions | undefined) ?? {}) };
  if (Array.isArray(spec.buffers)) {
    const writable = (spec.buffers_writable as boolean[] | undefined) ?? [];
    options.buffers = (spec.buffers as string[]).map((h, i) => (writable[i] ? PyByteArray.copyOf(hexToBytes(h)) : hexToBytes(h)));
  }
  return options;
}

describe('valid corpus', () => {
  it('is present', () => {
    expect(valid.length).toBeGreaterThan(500);
  });

  it('loads every file to the value CPython loads', () => {
    let compared = 0;
    const failures: string[] = [];
    for (const file of valid) {
      const data = readFileSync(file);
      for (const { file: jsonFile, spec } of expectations(file)) {
        const name = relative(CORPUS, jsonFile);
        const options = optionsOf(spec);
        try {
          if ('error' in spec) {
            expect(() => loads(data, options), name).toThrow(PickleError);
          } else if ('expect_depth' in spec) {
            const value = loads(data, { ...options, maxDepth: (spec.expect_depth as number) + 10 });
            expect(nestingDepth(value, Infinity), name).toBe(spec.expect_depth);
          } else {
            expect(toTyped(loads(data, options)), name).toEqual(normalizeExpected(spec.value));
          }
          compared++;
        } catch (e) {
          failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
    console.log(`golden: ${compared} expectations over ${valid.length} valid pickles agree with CPython`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  });

  it('fails every proper prefix of every file as truncated', () => {
    let prefixes = 0;
    const failures: string[] = [];
    for (const file of valid) {
      const data = readFileSync(file);
      const spec = expectations(file)[0]?.spec ?? {};
      if ('error' in spec) continue;
      const options = optionsOf(spec);
      // Every prefix of small files; for large ones, the first and last 2 KiB and every 97th byte between.
      for (let n = 0; n < data.length; n++) {
        if (data.length > 8192 && n > 2048 && n < data.length - 2048 && n % 97 !== 0) continue;
        prefixes++;
        try {
          loads(data.subarray(0, n), options);
          failures.push(`${relative(CORPUS, file)}[:${n}] loaded`);
        } catch (e) {
          const ok = n === 0 ? (e as PickleError).code === 'end_of_input' : e instanceof TruncatedPickleError;
          if (!ok) failures.push(`${relative(CORPUS, file)}[:${n}]: ${(e as Error).name} ${(e as Error).message}`);
        }
        if (failures.length > 20) break;
      }
    }
    console.log(`golden: ${prefixes} proper prefixes fail as truncated`);
    expect(failures).toEqual([]);
    expect(prefixes).toBeGreaterThan(10_000);
  });
});

const ERROR_CLASSES = {
  truncated: TruncatedPickleError,
  malformed: MalformedPickleError,
  refused: RefusedGlobalError,
  limit: LimitExceededError,
} as const;

/** The corpus records refusals under the python-builtins pack (the default before python-stdlib). */
const BUILTINS_ONLY = createPolicy({ name: 'python-builtins', packs: [shippedPack('python-builtins')] });

describe('malformed corpus', () => {
  it('is present', () => {
    expect(malformed.length).toBeGreaterThan(50);
  });

  it.each(malformed.map((f) => [relative(CORPUS, f), f]))('%s fails as recorded', (_name, file) => {
    const spec = JSON.parse(readFileSync(file.replace(/\.pkl$/, '.json'), 'utf8')) as { expect: keyof typeof ERROR_CLASSES; why: string };
    const data = readFileSync(file);
    let thrown: unknown;
    try {
      loads(data, { policy: BUILTINS_ONLY });
    } catch (e) {
      thrown = e;
    }
    expect(thrown, spec.why).toBeInstanceOf(PickleError);
    // 'malformed' in the corpus means "not decodable": any UnpicklingError other than truncated/limit/refused.
    if (spec.expect === 'malformed') {
      expect(thrown, `${spec.why}: ${String(thrown)}`).not.toBeInstanceOf(TruncatedPickleError);
      expect(thrown, `${spec.why}: ${String(thrown)}`).not.toBeInstanceOf(LimitExceededError);
    } else {
      expect(thrown, `${spec.why}: ${String(thrown)}`).toBeInstanceOf(ERROR_CLASSES[spec.expect]);
    }
    const err = thrown as PickleError;
    expect(typeof err.code).toBe('string');
    expect(err.offset === undefined || (err.offset >= 0 && err.offset <= data.length)).toBe(true);
  });
});
