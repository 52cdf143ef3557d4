/**
 * The values of a part's pickles, for the tree: loaded under the chosen policy, or, when the policy
 * refuses a name, in inspection mode (refused names become inert records, nothing is called).
 */
import { isJoblibWrapper } from '../audit/joblib.js';
import { loadJoblib } from '../containers/joblib-load.js';
import { loadTorch } from '../containers/torch-load.js';
import { isZip } from '../containers/zip.js';
import type { AuditCall } from '../audit/analyze.js';
import { PickleError, RefusedGlobalError } from '../errors.js';
import { PERSISTENT } from '../model/json.js';
import { PyObject } from '../model/object.js';
import type { Policy, Reconstructor } from '../policy/types.js';
import { Unpickler } from '../unpickler/unpickler.js';
import { policyFor, type PackChoice } from './judge.js';
import { isNpy, npyArray } from './npy.js';
import type { OpenedPart } from './open.js';

/**
 * Where each object a reconstructor made was built: the loader gives no offsets, but its
 * reconstructors are called in the order of the audit's call sites (BUILD aside). Each call is
 * checked against its site's callable; at the first disagreement the mapping stops.
 */
function tracing(policy: Policy, calls: readonly AuditCall[], built: Map<object, number>): Policy {
  const sites = calls.filter((c) => c.opcode !== 'BUILD');
  let next = 0;
  let lost = false;
  const note = (name: string, out: unknown): unknown => {
    const site = sites[next++];
    if (lost || site === undefined || site.callable !== name) lost = true;
    else if (out !== null && typeof out === 'object' && !built.has(out)) built.set(out, site.offset);
    return out;
  };
  return {
    name: policy.name,
    resolve(module, qualname) {
      const rec = policy.resolve(module, qualname);
      if (rec === undefined) return undefined;
      const name = `${module}.${qualname}`;
      const wrapped: { -readonly [K in keyof Reconstructor]: Reconstructor[K] } = { ...rec };
      const { call, newObject } = rec;
      if (call) wrapped.call = (args, ctx) => note(name, call(args, ctx));
      if (newObject) wrapped.newObject = (args, kw, ctx) => note(name, newObject(args, kw, ctx));
      return wrapped;
    },
    resolveCallable: policy.resolveCallable,
  };
}

export interface LoadedValues {
  /** The offset of the opcode that built each object a reconstructor made (as far as known). */
  readonly built: Map<object, number>;
  /** One value per pickle loaded. */
  readonly values: unknown[];
  /** 'policy': loaded under the policy; 'inspect': the policy refused, loaded in inspection mode. */
  readonly mode: 'policy' | 'inspect';
  /** Why loading stopped early, if it did (or why inspection mode was needed). */
  readonly notes: string[];
}

const isJoblib = (part: OpenedPart) => part.report.globals.some((g) => isJoblibWrapper(g.module, g.qualname));

const TORCH_PICKLE = /!(?:[^/!]+\/)?data\.pkl$/;

async function loadWith(part: OpenedPart, file: Uint8Array, choice: PackChoice, inspect: boolean, built: Map<object, number>): Promise<unknown[]> {
  built.clear();
  const policy = tracing(policyFor(choice, inspect), part.report.calls, built);
  if (TORCH_PICKLE.test(part.uri) && isZip(file) && part.uri.indexOf('!') === part.uri.lastIndexOf('!')) return [await loadTorch(file, { policy, zeroCopy: true })];
  if (isJoblib(part)) {
    // Inspection mode reads joblib's raw array data with the joblib pack's wrapper (else it reads as opcodes).
    const joblib = inspect ? tracing(policyFor({ ...choice, shipped: [...choice.shipped, 'joblib'] }, true), part.report.calls, built) : policy;
    return [await loadJoblib(part.bytes, { policy: joblib })];
  }
  const pickles = part.report.pickles;
  if (pickles.length === 0 && isNpy(part.bytes)) {
    const a = npyArray(part.bytes);
    if (typeof a === 'string') throw new Error(`the array is not shown: ${a}`);
    return [a];
  }
  if (pickles.length === 0) return [];
  const options = { policy, persistentLoad: (pid: unknown) => new PyObject(PERSISTENT, [pid]) };
  // Pickles in a row share a memo, as Unpickler reads them; pickles apart (a legacy checkpoint's members) are read each alone.
  const inRow = pickles.every((p, i) => i === 0 || p.start === pickles[i - 1]!.end);
  const shared = inRow ? new Unpickler(part.bytes.subarray(pickles[0]!.start), options) : null;
  const values: unknown[] = [];
  // A value per pickle the audit found; the partial list is kept when one fails.
  try {
    for (const p of pickles) values.push((shared ?? new Unpickler(part.bytes.subarray(p.start), options)).load());
  } catch (e) {
    if (values.length === 0) throw e;
    (values as unknown[] & { failure?: unknown }).failure = e;
  }
  return values;
}

export async function loadValues(part: OpenedPart, file: Uint8Array, choice: PackChoice): Promise<LoadedValues> {
  const notes: string[] = [];
  const built = new Map<object, number>();
  const attempt = async (inspect: boolean): Promise<unknown[] | RefusedGlobalError> => {
    try {
      const values = await loadWith(part, file, choice, inspect, built);
      const failure = (values as { failure?: unknown }).failure;
      if (failure instanceof RefusedGlobalError && !inspect) return failure;
      if (failure instanceof PickleError) notes.push(`pickle ${values.length + 1} did not load: ${failure.message}`);
      return values;
    } catch (e) {
      if (e instanceof RefusedGlobalError && !inspect) return e;
      if (e instanceof PickleError) {
        notes.push(`not loaded: ${e.message}`);
        return [];
      }
      if (e instanceof Error) {
        notes.push(`not loaded: ${e.message}`);
        return [];
      }
      throw e;
    }
  };
  const first = await attempt(false);
  if (!(first instanceof RefusedGlobalError)) return { values: first, mode: 'policy', notes, built };
  notes.push(`the policy refuses ${first.module}.${first.qualname}: shown in inspection mode (refused names are inert records; nothing was called)`);
  if (isJoblib(part)) notes.push("joblib's raw array data is read with the joblib pack's array wrapper");
  const second = await attempt(true);
  return { values: second instanceof RefusedGlobalError ? [] : second, mode: 'inspect', notes, built };
}
