/** Argument checks shared by reconstructors: each failure is a ReconstructorArgumentError, which the VM reports with the offset. */
import { ReconstructorArgumentError, ReconstructorUnsupported, type ReconstructorDef, type ReconstructorParts } from '../types.js';

export function fail(message: string): never {
  throw new ReconstructorArgumentError(message);
}

/** Arguments CPython would take but the policy does not: a refusal, not bad input. */
export function unsupported(message: string): never {
  throw new ReconstructorUnsupported(message);
}

export function arity(name: string, args: readonly unknown[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    fail(`${name}() takes ${min === max ? min : `${min} to ${max}`} arguments, the pickle gave ${args.length}`);
  }
}

/** A short Python-flavoured description of a value for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

/** A Python int (bool counts, as in Python) as number or bigint. */
export function int(name: string, value: unknown): number | bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return mustBe(name, 'an int', value);
}

/** An int for a message: itself when short, else only its sign (a pickle's int may have thousands of digits). */
export function intText(v: number | bigint): string {
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) >= 1e24 ? (v < 0 ? 'a large negative int' : 'a large int') : String(v);
  const limit = 10n ** 24n;
  const b = v;
  if (b < limit && b > -limit) return String(v);
  return b < 0n ? 'a large negative int' : 'a large int';
}

/** An int within [min, max], as a number. */
export function smallInt(name: string, value: unknown, min: number, max: number): number {
  const v = int(name, value);
  if (v < min || v > max) fail(`${name} must be in ${min}..${max}, the pickle gave ${intText(v)}`);
  return Number(v);
}

export function str(name: string, value: unknown, maxLength = Infinity): string {
  if (typeof value !== 'string') mustBe(name, 'a str', value);
  if (value.length > maxLength) fail(`${name} is longer than ${maxLength} characters`);
  return value;
}

/** Bytes given as bytes, or (Python 2 pickles loaded with encoding='latin1') as a str of code points < 256. */
export function latin1Bytes(name: string, value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    const out = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff) fail(`${name}: a str state must be latin-1`);
      out[i] = c;
    }
    return out;
  }
  return undefined;
}

/** `${what} must be ${kind}, the pickle gave <a description of value>`, as a ReconstructorArgumentError. */
export function mustBe(what: string, kind: string, value: unknown): never {
  return fail(`${what} must be ${kind}, the pickle gave ${describe(value)}`);
}

/** A Python bool, or 0 or 1 as older pickles give it. */
export function bool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  return mustBe(name, 'a bool', value);
}

/** A reconstructor whose parts are the same whatever name binds it. */
export const fixed = (id: string, parts: ReconstructorParts): ReconstructorDef => Object.freeze({ id, bind: () => parts });

/** A tz-database name: a relative path of letters, digits and _+-./ (whether it exists is the database's to say). */
export const ZONE_NAME = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9_+\-./]{1,255}$/;
