/**
 * `pickleguard convert FILE`: load a pickle under a policy (or in inspection mode, where
 * nothing the policy lacks is called) and print it as JSON. Values JSON cannot hold are tagged
 * objects: {"$tuple": […]}, {"$bytes": "<base64>"}, {"$int": "<digits>"}, {"$float": "nan"}, …
 */
import { EndOfInputError, PickleError } from '../errors.js';
import { PERSISTENT, toJson } from '../model/json.js';
import { PyObject } from '../model/object.js';
import { cliMessage, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseCommand, readFailure, UsageError } from './args.js';
import { readPack } from './packs.js';
import { createPolicy } from '../policy/registry.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';
import { Unpickler } from '../unpickler/unpickler.js';
import { loadFile, openFile } from '../containers/open-file.js';

export { toJson };

export interface ConvertIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
  /** All of standard input (for the FILE -). */
  readStdin(): Promise<Uint8Array>;
}

export const CONVERT_USAGE = `Usage: pickleguard convert [options] FILE

Load the pickles in FILE ('-' reads standard input) under a policy and print them as JSON, one document per pickle (a JSON
array when there are several). Other files are read as their users load them, the format told from
their bytes: a PyTorch checkpoint's object, a joblib file's, an .npy array, an .npz's arrays, a
gzip/zlib stream's content, a Django cache entry's value, a Celery/kombu message's body
((args, kwargs, embed) for tasks), RQ job data and base64 results. Values JSON cannot hold are tagged objects: {"$tuple": [...]},
{"$set": [...]}, {"$frozenset": [...]}, {"$dict": [[key, value], ...]} for dicts with keys that are
not strings, {"$bytes": base64}, {"$bytearray": base64}, {"$int": "digits"} beyond 2**53,
{"$float": "nan" | "inf" | "-inf" | "-0.0"}, {"$complex": [re, im]}, {"$global": "module.name"},
{"$object": "module.name", "args", "state", ...} for records and stdlib values, {"$ref": n} for a
container met again (its first occurrence carries "$id": n). numpy arrays and tensors are
{"$ndarray": {"dtype", "shape", "data": nested lists}}, pandas values {"$dataframe": {"shape",
"index", "columns": [{"name", "dtype", "data"}]}}, {"$series": ...}, {"$index": ...}; each shows at
most --max-items values ("cut" gives how many there were).

Options:
  --to json          the output format (json, the default and only one)
  --policy PACK      load under these packs: JSON files or shipped pack ids (repeatable; default:
                     the default policy)
  --inspect          inspection mode: names the policy lacks become inert records, nothing is called
  --encoding ENC     how Python 2 str is decoded (default ASCII; latin1 for binary data)
  --max-items N      values shown per array, tensor or column (default 1000)
  -h, --help         show this help

Exit status: 0 converted; 1 the pickle was refused or is malformed; 2 usage or I/O error.
`;


export async function runConvert(argv: readonly string[], io: ConvertIO): Promise<number> {
  const { values: v, positionals } = parseCommand('convert', argv, ['to', 'policy', 'inspect', 'encoding', 'max-items']);
  if (v.help) {
    io.stdout(CONVERT_USAGE);
    return EXIT_OK;
  }
  if (v.to !== undefined && v.to !== 'json') throw new UsageError(`--to must be json (the only format), not ${JSON.stringify(v.to)}`);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'convert needs a FILE' : 'convert takes one FILE');
  const file = positionals[0]!;
  const packs = v.policy ?? [];
  const inspect = v.inspect === true;
  const encoding = v.encoding;
  const maxItems = v['max-items'] === undefined ? 1000 : Number(v['max-items']);
  if (!Number.isSafeInteger(maxItems) || maxItems < 0 || !/^\d+$/.test(v['max-items'] ?? '0')) {
    throw new UsageError(`--max-items must be a whole number, not ${JSON.stringify(v['max-items'])}`);
  }
  let data: Uint8Array;
  let policy;
  try {
    data = file === '-' ? await io.readStdin() : io.readFile(file);
  } catch (e) {
    io.stderr(`pickleguard: ${readFailure(file, e)}\n`);
    return EXIT_USAGE;
  }
  try {
    const loaded = packs.map((p) => readPack(p, (path) => io.readFile(path)));
    policy = createPolicy({ name: loaded.length ? undefined : 'default', packs: loaded.length ? loaded : [SHIPPED_PACKS.find((p) => p.pack.id === 'python-stdlib')!], inspect });
  } catch (e) {
    io.stderr(`pickleguard: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const shown = file === '-' ? '<stdin>' : file;
  const opened = await openFile(data, { name: shown });
  if (opened.format !== 'pickle' || opened.parts[0]?.kind !== 'pickle') {
    // Policies given on the command line apply; otherwise each format's loader uses its own default (loadTorch's, loadJoblib's).
    const given = packs.length > 0 || inspect;
    try {
      const value = await loadFile(data, { name: shown, ...(given ? { policy } : {}), ...(encoding ? { encoding } : {}) });
      io.stdout(`${JSON.stringify(toJson(value, maxItems), null, 2)}\n`);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof PickleError) {
        io.stderr(`pickleguard: ${shown}: ${cliMessage(e)}\n`);
        return EXIT_FINDINGS;
      }
      throw e;
    }
  }
  const values: unknown[] = [];
  const u = new Unpickler(data, { policy, ...(encoding ? { encoding } : {}), persistentLoad: (pid) => new PyObject(PERSISTENT, [pid]) });
  for (;;) {
    try {
      values.push(toJson(u.load(), maxItems));
    } catch (e) {
      if (e instanceof EndOfInputError && values.length > 0) break;
      if (e instanceof PickleError) {
        io.stderr(`pickleguard: ${file === '-' ? '<stdin>' : file}: ${cliMessage(e)}\n`);
        return EXIT_FINDINGS;
      }
      throw e;
    }
  }
  io.stdout(`${JSON.stringify(values.length === 1 ? values[0] : values, null, 2)}\n`);
  return EXIT_OK;
}
