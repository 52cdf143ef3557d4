/**
 * The pickler's Python 3 -> 2 renames, derived from the forward tables at start-up, are CPython's
 * `_compat_pickle` REVERSE_IMPORT_MAPPING and REVERSE_NAME_MAPPING entry for entry.
 */
import { describe, expect, it } from 'vitest';
import { REVERSE_IMPORT_MAPPING, REVERSE_NAME_MAPPING } from '../src/pickler/compat-reverse.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';

const missing = pythonMissing();

describe.skipIf(missing !== null)('compat-reverse', () => {
  it("equals CPython's reverse tables", () => {
    const cpython = runPythonJson<{ modules: Record<string, string>; names: Record<string, [string, string]> }>(
      `import _compat_pickle as c, json
print(json.dumps({'modules': c.REVERSE_IMPORT_MAPPING, 'names': {m + '\\n' + n: v for (m, n), v in c.REVERSE_NAME_MAPPING.items()}}))`,
    );
    expect({ ...REVERSE_IMPORT_MAPPING }).toEqual(cpython.modules);
    expect(Object.fromEntries(Object.entries(REVERSE_NAME_MAPPING).map(([k, v]) => [k, [...v]]))).toEqual(cpython.names);
  });
});
