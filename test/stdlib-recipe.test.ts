/**
 * The README's recipe for the application's enums and named tuples: its pack, taken from the README,
 * loads what python3 pickles for an app module at protocols 2-5 and pickles it back byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPolicy, dumps, loads, parsePack, PyObject, RefusedGlobalError, shippedPack } from '../src/index.js';
import { pythonMissing, runPython } from './helpers/py-run.js';

const missing = pythonMissing();
const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const block = /<!-- recipe: app-enums[^>]*-->\n```json\n([\s\S]*?)\n```/.exec(readme);
const work = mkdtempSync(join(tmpdir(), 'pickleguard-recipe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const APP = `import enum, collections
class Color(enum.Enum):
    RED = 1
    GREEN = 'g'
Point = collections.namedtuple('Point', 'x y')
`;

describe.skipIf(missing !== null)('README recipe: enums and named tuples through an app pack', () => {
  it('the pack in the README loads the app values and writes them back as CPython did', () => {
    expect(block, 'the recipe block in README.md').not.toBeNull();
    const pack = parsePack(block![1]!, 'README recipe');
    const policy = createPolicy({ packs: [shippedPack('python-stdlib'), pack] });
    writeFileSync(join(work, 'app.py'), APP);
    const out = runPython(`import sys, json, pickle
sys.path.insert(0, ${JSON.stringify(work)})
import app
v = {'color': app.Color.RED, 'other': app.Color.GREEN, 'at': app.Point(1, 2)}
print(json.dumps([pickle.dumps(v, p).hex() for p in range(2, 6)]))`);
    const pickles = (JSON.parse(out) as string[]).map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    pickles.forEach((bytes, i) => {
      const v = loads(bytes, { policy }) as Map<string, PyObject>;
      const color = ({ 1: 'red', g: 'green' } as Record<string, string>)[String(v.get('color')!.args[0])];
      const [x, y] = v.get('at')!.args as number[];
      expect([color, v.get('other')!.args[0], x, y, v.get('at')!.kind]).toEqual(['red', 'g', 1, 2, 'new']);
      expect(Buffer.from(dumps(v, { protocol: i + 2 })).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
      expect(() => loads(bytes)).toThrow(RefusedGlobalError); // without the app pack
    });
  });
});
