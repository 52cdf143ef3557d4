/**
 * The Python 2 <-> 3 rename tables are CPython's `_compat_pickle` entry for entry: the forward ones
 * (compat-data.ts, laid out as CPython's module keeps them) and the pickler's reverse ones, which
 * compat-reverse.ts derives from the forward ones at start-up.
 */
import { describe, expect, it } from 'vitest';
import { IMPORT_MAPPING, NAME_MAPPING } from '../src/policy/compat-data.js';
import { REVERSE_IMPORT_MAPPING, REVERSE_NAME_MAPPING } from '../src/pickler/compat-reverse.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';

const missing = pythonMissing();
type Tables = Record<'imports' | 'names' | 'reverseImports' | 'reverseNames', Record<string, string | string[]>>;
const plain = (table: Readonly<Record<string, string | readonly string[]>>) => Object.fromEntries(Object.entries(table).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]));

describe.skipIf(missing !== null)('the compat tables', () => {
  const cpython = missing === null
    ? runPythonJson<Tables>(`import _compat_pickle as c, json
names = lambda t, sep: {m + sep + n: v for (m, n), v in t.items()}
print(json.dumps({'imports': c.IMPORT_MAPPING, 'names': names(c.NAME_MAPPING, ' '),
                  'reverseImports': c.REVERSE_IMPORT_MAPPING, 'reverseNames': names(c.REVERSE_NAME_MAPPING, '\\n')}))`)
    : undefined;

  it("forward: equal CPython's IMPORT_MAPPING and NAME_MAPPING", () => {
    expect(plain(IMPORT_MAPPING)).toEqual(cpython!.imports);
    expect(plain(NAME_MAPPING)).toEqual(cpython!.names);
  });

  it("reverse: equal CPython's REVERSE_IMPORT_MAPPING and REVERSE_NAME_MAPPING", () => {
    expect(plain(REVERSE_IMPORT_MAPPING)).toEqual(cpython!.reverseImports);
    expect(plain(REVERSE_NAME_MAPPING)).toEqual(cpython!.reverseNames);
  });
});
