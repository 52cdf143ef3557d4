/**
 * Judging a file under the chosen packs: the policy built from them, and the file's parts audited.
 * Runs where the file is held (session.ts).
 */
import type { Verdict } from '../audit/analyze.js';
import { parsePack, type LoadedPack } from '../policy/pack.js';
import { createPolicy, type BuiltPolicy } from '../policy/registry.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';
import { openParts, type OpenedPart } from './open.js';

/** The packs chosen: shipped ones by id, and custom ones as their JSON. */
export interface PackChoice {
  readonly shipped: readonly string[];
  readonly custom: readonly unknown[];
}

export const DEFAULT_CHOICE: PackChoice = { shipped: ['python-stdlib'], custom: [] };

/** The last shipped pack with each id (a pack may ship in several versions). */
export function shippedById(): Map<string, LoadedPack> {
  return new Map(SHIPPED_PACKS.map((p) => [p.pack.id, p]));
}

export function policyFor(choice: PackChoice, inspect = false): BuiltPolicy {
  const byId = shippedById();
  const packs = [...choice.shipped.map((id) => byId.get(id)).filter((p) => p !== undefined), ...choice.custom.map((c, i) => parsePack(c, `custom pack ${i + 1}`))];
  const name = packs.length === 0 ? 'nothing' : packs.map((p) => p.pack.id).join('+');
  return createPolicy({ name, packs, inspect });
}

export interface Judged {
  readonly parts: OpenedPart[];
  readonly verdict: Verdict;
  readonly policy: string;
}

const RANK: Record<Verdict, number> = { safe: 0, unsafe: 1, malformed: 2 };

/** The worst verdict of the parts: a file is as safe as its least safe part. */
export function worst(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((w, v) => (RANK[v] > RANK[w] ? v : w), 'safe');
}

export async function judge(file: Uint8Array, name: string, choice: PackChoice): Promise<Judged> {
  const policy = policyFor(choice);
  const parts = await openParts(file, name, { policy });
  return { parts, verdict: worst(parts.map((p) => p.report.verdict)), policy: policy.name };
}
