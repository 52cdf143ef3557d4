/**
 * Policies built from packs (JSON data) plus reconstructors the host registers in TypeScript.
 * (Work in progress: the signatures are settled; the pack loading lands with issue 3.)
 */
import type { Policy, ReconstructorDef, ReconstructorParts } from './types.js';

export interface PolicyOptions {
  /** A name for messages; default: the pack ids joined with '+'. */
  readonly name?: string;
  /** Parsed or raw pack JSON (validated), applied in order. */
  readonly packs?: readonly unknown[];
  /** Reconstructor implementations the packs may name by id, beside the built-in ones. */
  readonly reconstructors?: readonly ReconstructorDef[];
  /** Direct registrations: `'acme.models.User'` (module and qualname split at the last ':' or as given) → capabilities. */
  readonly register?: Readonly<Record<string, ReconstructorParts>>;
  /** Inspection mode: names the policy does not allow resolve to inert records (`PyGlobal`, `PyObject`) instead of refusing. */
  readonly inspect?: boolean;
}

export function createPolicy(options: PolicyOptions = {}): Policy {
  void options;
  throw new Error('createPolicy: not implemented yet');
}
