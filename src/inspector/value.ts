/**
 * The values of a part's pickles, for the tree: loaded under the chosen policy, or, when the policy
 * refuses a name, in inspection mode (refused names become inert records, nothing is called).
 */
import { isJoblibWrapper } from '../audit/joblib.js';
import { loadJoblib } from '../containers/joblib-load.js';
import { loadTorch } from '../containers/torch-load.js';
import { isZip } from '../containers/zip.js';
import { PickleError, RefusedGlobalError } from '../errors.js';
import { PERSISTENT } from '../model/json.js';
import { PyObject } from '../model/object.js';
import { Unpickler } from '../unpickler/unpickler.js';
import { policyFor, type PackChoice } from './judge.js';
import type { OpenedPart } from './open.js';

export interface LoadedValues {
  /** One value per pickle loaded. */
  readonly values: unknown[];
  /** 'policy': loaded under the policy; 'inspect': the policy refused, loaded in inspection mode. */
  readonly mode: 'policy' | 'inspect';
  /** Why loading stopped early, if it did (or why inspection mode was needed). */
  readonly notes: string[];
}

const TORCH_PICKLE = /!(?:[^/!]+\/)?data\.pkl$/;

async function loadWith(part: OpenedPart, file: Uint8Array, choice: PackChoice, inspect: boolean): Promise<unknown[]> {
  const policy = policyFor(choice, inspect);
  if (TORCH_PICKLE.test(part.uri) && isZip(file) && part.uri.indexOf('!') === part.uri.lastIndexOf('!')) return [await loadTorch(file, { policy })];
  if (part.report.globals.some((g) => isJoblibWrapper(g.module, g.qualname))) return [await loadJoblib(part.bytes, { policy })];
  const pickles = part.report.pickles;
  if (pickles.length === 0) return [];
  const u = new Unpickler(part.bytes.subarray(pickles[0]!.start), { policy, persistentLoad: (pid) => new PyObject(PERSISTENT, [pid]) });
  const values: unknown[] = [];
  // A value per pickle the audit found; the partial list is kept when one fails.
  try {
    for (let i = 0; i < pickles.length; i++) values.push(u.load());
  } catch (e) {
    if (values.length === 0) throw e;
    (values as unknown[] & { failure?: unknown }).failure = e;
  }
  return values;
}

export async function loadValues(part: OpenedPart, file: Uint8Array, choice: PackChoice): Promise<LoadedValues> {
  const notes: string[] = [];
  const attempt = async (inspect: boolean): Promise<unknown[] | RefusedGlobalError> => {
    try {
      const values = await loadWith(part, file, choice, inspect);
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
  if (!(first instanceof RefusedGlobalError)) return { values: first, mode: 'policy', notes };
  notes.push(`the policy refuses ${first.module}.${first.qualname}: shown in inspection mode (refused names are inert records; nothing was called)`);
  const second = await attempt(true);
  return { values: second instanceof RefusedGlobalError ? [] : second, mode: 'inspect', notes };
}
