/**
 * Arguments of every command, parsed with node:util's parseArgs from one table of options: an
 * option means the same thing (and has the same short form) wherever it is accepted.
 */
import { parseArgs } from 'node:util';
import { RefusedGlobalError } from '../errors.js';

/** Exit statuses, as scanners use them. */
export const EXIT_OK = 0;
/** Something unsafe or malformed (dis: a malformed pickle; policy: invalid pack, denied names, packs differ). */
export const EXIT_FINDINGS = 1;
/** Usage or I/O error. */
export const EXIT_USAGE = 2;
/** Nothing was scanned (every path was a directory without pickles, or was skipped). */
export const EXIT_NOTHING = 3;

export const EXIT_STATUS_HELP = `Exit status:
  0  every file scanned is safe (or the command succeeded)
  1  something is unsafe or malformed (policy: an invalid pack, denied names, packs that differ)
  2  usage or I/O error (a path that cannot be read is named on stderr); wins over 1 and 3
  3  nothing was scanned (no pickles among the paths given)
`;

/** A mistake on the command line, or a path that cannot be read: exit status 2. */
export class UsageError extends Error {}

type Spec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** Every option of every command. */
const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  policy: { type: 'string', multiple: true },
  format: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  jobs: { type: 'string', short: 'j' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'follow-symlinks': { type: 'boolean' },
  'min-severity': { type: 'string' },
  to: { type: 'string' },
  inspect: { type: 'boolean' },
  encoding: { type: 'string' },
  'max-items': { type: 'string' },
  annotate: { type: 'string', short: 'a' },
  memo: { type: 'boolean', short: 'm' },
  indent: { type: 'string', short: 'l' },
  indentlevel: { type: 'string' },
  preamble: { type: 'string', short: 'p' },
  id: { type: 'string' },
  'pack-version': { type: 'string' },
  extends: { type: 'string' },
  'no-open': { type: 'boolean' },
} as const satisfies Record<string, Spec>;

export type OptionName = keyof typeof OPTIONS;

export interface Parsed {
  readonly values: { readonly [K in OptionName]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };
  readonly positionals: string[];
}

/**
 * Parses `argv` for `command`, which accepts the options `names` (and --help). `-` is a path
 * (standard input); `--` ends the options.
 */
export function parseCommand(command: string, argv: readonly string[], names: readonly OptionName[]): Parsed {
  const options: Record<string, Spec> = { help: OPTIONS.help };
  for (const n of names) options[n] = OPTIONS[n];
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(err.message)?.[1] ?? '';
      throw new UsageError(`${command}: unknown option ${option}`);
    }
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS_')) {
      const first = err.message.split('\n')[0]!;
      const dash = /Option '([^']+)' argument is ambiguous/.exec(first);
      throw new UsageError(dash ? `${command}: ${dash[1]} needs a value (for one that starts with '-', write ${dash[1]}=VALUE)` : `${command}: ${first}`);
    }
    throw e;
  }
}

/** An integer option's value. */
export function integerOption(text: string, option: string, min = Number.MIN_SAFE_INTEGER): number {
  if (!/^[+-]?\d+$/.test(text) || Number(text) < min) {
    throw new UsageError(`${option} expects ${min === 1 ? 'a positive integer' : 'an integer'}, got ${JSON.stringify(text)}`);
  }
  return Number.parseInt(text, 10);
}

/** The message for a path that cannot be read. */
export function readFailure(path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'permission denied' : e.code === 'ELOOP' ? 'too many levels of symbolic links' : e.message;
  return `cannot read ${path === '-' ? 'standard input' : path}: ${reason}`;
}

/** An error's message as a shell user reads it: a refusal names `--policy numpy`, not the API's `shippedPack('numpy')`. */
export function cliMessage(e: Error): string {
  return e instanceof RefusedGlobalError ? e.messageIn('cli') : e.message;
}
