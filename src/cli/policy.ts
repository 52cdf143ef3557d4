/**
 * `pickleguard policy check|infer|diff`: the team workflow around packs. Check validates packs and
 * prints their digests; infer drafts a pack from trusted sample pickles (loaded in inspection mode,
 * so nothing in them runs); diff compares what two packs allow.
 */
import { PolicyError } from '../errors.js';
import { KNOWN_DEFS } from '../policy/known.js';
import { inferPack } from '../policy/infer.js';
import type { LoadedPack } from '../policy/pack.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseCommand, readFailure, UsageError } from './args.js';
import { readPack as readPackArg } from './packs.js';
import { createPolicy, type BuiltPolicy } from '../policy/registry.js';
import type { PackEntry } from '../policy/schema.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';

/** What the policy commands need from the outside world. */
export interface PolicyIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
}

export const POLICY_USAGE = `Usage: pickleguard policy <check|infer|diff> ...

  policy check PACK...           validate packs (and the packs they extend), print each digest
  policy infer [options] FILE... draft a pack from trusted sample pickles, printed as JSON
  policy diff A B                what pack B allows that A does not, and the reverse

A PACK is a JSON file, or the id of a shipped pack (python-stdlib, numpy, …) when no such file exists.

Exit status: 0 success (diff: no difference); 1 an invalid pack, denied names found, or packs that
differ; 2 usage or I/O error.
`;

const INFER_USAGE = `Usage: pickleguard policy infer [options] FILE... > pack.json

Load each sample pickle in inspection mode (nothing in it is called or imported), note every global
it names and how it uses it (call, new, state, reference), and print a draft pack: each name mapped
to its built-in reconstructor when there is one, else to the generic "object" reconstructor. Names
on the hard deny list are reported on stderr and left out; then the exit status is 1.
Review the draft before you trust it: it allows what the samples do, nothing less.

Options:
  --id ID          the pack id (default "inferred")
  --pack-version V the pack version (default "0.1.0")
  --extends ID     a shipped pack to extend, pinned by digest; names it allows are left out
                   (default: python-stdlib, the default policy; "none" for no base)
  -h, --help       show this help
`;

const CHECK_USAGE = `Usage: pickleguard policy check PACK...

Validate each pack file against the pack schema, the hard deny list and the reconstructors built in,
resolve what it extends (among the files given and the shipped packs, pinned by digest), and print
"ok", the id, version, digest and number of entries. Problems are printed with their JSON paths.
`;

const DIFF_USAGE = `Usage: pickleguard policy diff A B

Compare what two packs allow, after resolving what they extend: "+" lines are allowed by B only,
"-" lines by A only, "~" lines are allowed by both with different reconstructors, uses or
constraints. Exit status 0 when they allow the same, 1 when they differ.
`;


/** A pack file (or a shipped pack's id); what cannot be read is a usage error, an invalid pack a PolicyError. */
function readPack(io: PolicyIO, arg: string): LoadedPack {
  try {
    return readPackArg(arg, (path) => io.readFile(path));
  } catch (e) {
    if (e instanceof PolicyError) throw e;
    throw new UsageError((e as Error).message);
  }
}

function reportPolicyError(io: PolicyIO, e: PolicyError): void {
  io.stderr(`pickleguard: ${e.message}\n`);
}

function check(argv: readonly string[], io: PolicyIO): number {
  const { values, positionals: args } = parseCommand('policy check', argv, []);
  if (values.help) {
    io.stdout(CHECK_USAGE);
    return EXIT_OK;
  }
  if (args.length === 0) throw new UsageError('policy check needs at least one PACK file');
  const loaded: LoadedPack[] = [];
  let failed = false;
  for (const path of args) {
    try {
      loaded.push(readPack(io, path));
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      reportPolicyError(io, e);
      failed = true;
    }
  }
  if (failed) return EXIT_FINDINGS;
  let policy: BuiltPolicy;
  try {
    policy = createPolicy({ packs: loaded });
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    reportPolicyError(io, e);
    return EXIT_FINDINGS;
  }
  loaded.forEach((p, i) => {
    io.stdout(`ok  ${args[i]}  ${p.pack.id}@${p.pack.version}  ${p.digest}  ${p.pack.entries.length} entries\n`);
  });
  const bases = policy.packs.filter((p) => !loaded.some((l) => l.digest === p.digest));
  for (const b of bases) io.stdout(`    extends ${b.id}@${b.version}  ${b.digest}\n`);
  io.stdout(`policy allows ${policy.entries.length} names\n`);
  return EXIT_OK;
}

function infer(argv: readonly string[], io: PolicyIO): number {
  const { values: v, positionals: files } = parseCommand('policy infer', argv, ['id', 'pack-version', 'extends', 'version']);
  if (v.help) {
    io.stdout(INFER_USAGE);
    return EXIT_OK;
  }
  if (v.version) throw new UsageError('policy infer: the pack version is given with --pack-version V (--version prints pickleguard\'s)');
  const base = v.extends ?? 'python-stdlib';
  if (files.length === 0) throw new UsageError('policy infer needs at least one sample pickle FILE');
  const basePack = base === 'none' ? undefined : SHIPPED_PACKS.filter((p) => p.pack.id === base).at(-1);
  if (base !== 'none' && basePack === undefined) {
    throw new UsageError(`--extends ${base}: no shipped pack has that id (shipped: ${SHIPPED_PACKS.map((p) => p.pack.id).join(', ')})`);
  }
  const samples = files.map((file) => {
    try {
      return { name: file, bytes: io.readFile(file) };
    } catch (e) {
      throw new UsageError(readFailure(file, e));
    }
  });
  const { pack, samples: read, denied } = inferPack(samples, { id: v.id, version: v['pack-version'], base: basePack });
  for (const s of read) {
    if (s.error) io.stderr(`pickleguard: ${s.name}: ${s.error.message}\n`);
    io.stderr(`read ${s.name}: ${s.pickles} pickle${s.pickles === 1 ? '' : 's'}\n`);
  }
  for (const d of denied) io.stderr(`pickleguard: error: ${d.name} (in ${d.files.join(', ')}): ${d.why}; left out\n`);
  io.stdout(`${JSON.stringify(pack, null, 2)}\n`);
  return denied.length > 0 || read.some((s) => s.error) ? EXIT_FINDINGS : EXIT_OK;
}

function describeEntry(e: Readonly<PackEntry>): string {
  const extra = [e.via ? `via ${e.via}` : '', e.args ? `args ${JSON.stringify(e.args)}` : '', e.kwargs ? `kwargs ${JSON.stringify(e.kwargs)}` : '', e.state ? `state ${JSON.stringify(e.state)}` : '']
    .filter(Boolean)
    .join(' ');
  return `${e.module}.${e.qualname} → ${e.reconstructor} [${e.uses.join(', ')}]${extra ? ` ${extra}` : ''}`;
}

function diff(argv: readonly string[], io: PolicyIO): number {
  const { values, positionals: args } = parseCommand('policy diff', argv, []);
  if (values.help) {
    io.stdout(DIFF_USAGE);
    return EXIT_OK;
  }
  if (args.length !== 2) throw new UsageError('policy diff needs exactly two PACK files');
  let a: BuiltPolicy;
  let b: BuiltPolicy;
  try {
    const [pa, pb] = [readPack(io, args[0]!), readPack(io, args[1]!)];
    // Host reconstructors are unknown here: accept any id, so packs for other programs can be compared.
    const anyIds = [...new Set([...pa.pack.entries, ...pb.pack.entries].map((e) => e.reconstructor))]
      .filter((rid) => !KNOWN_DEFS.some((d) => d.id === rid))
      .map((rid) => ({ id: rid, bind: () => ({}) }));
    a = createPolicy({ packs: [pa], reconstructors: anyIds });
    b = createPolicy({ packs: [pb], reconstructors: anyIds });
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    reportPolicyError(io, e);
    return EXIT_USAGE;
  }
  const byName = (p: BuiltPolicy) => new Map(p.entries.map((e) => [`${e.module}.${e.qualname}`, e]));
  const [ea, eb] = [byName(a), byName(b)];
  const names = [...new Set([...ea.keys(), ...eb.keys()])].sort();
  let differences = 0;
  io.stdout(`--- ${args[0]}  ${a.packs.map((p) => `${p.id}@${p.version}`).join(' + ')}\n`);
  io.stdout(`+++ ${args[1]}  ${b.packs.map((p) => `${p.id}@${p.version}`).join(' + ')}\n`);
  for (const name of names) {
    const [x, y] = [ea.get(name), eb.get(name)];
    if (x && !y) io.stdout(`- ${describeEntry(x)}\n`);
    else if (!x && y) io.stdout(`+ ${describeEntry(y)}\n`);
    else if (x && y && describeEntry(x) !== describeEntry(y)) io.stdout(`~ ${describeEntry(x)}\n  ${' '.repeat(name.length)}⇒ ${describeEntry(y).slice(name.length + 1)}\n`);
    else continue;
    differences++;
  }
  io.stdout(differences ? `${differences} name${differences === 1 ? '' : 's'} differ\n` : 'the packs allow the same names in the same ways\n');
  return differences ? EXIT_FINDINGS : EXIT_OK;
}

/** Runs `pickleguard policy ARGS…`; returns the exit status. */
export function runPolicyCommand(args: readonly string[], io: PolicyIO): number {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'check':
        return check(rest, io);
      case 'infer':
        return infer(rest, io);
      case 'diff':
        return diff(rest, io);
      case undefined:
      case '-h':
      case '--help':
        (sub === undefined ? io.stderr : io.stdout)(POLICY_USAGE);
        return sub === undefined ? EXIT_USAGE : EXIT_OK;
      default:
        throw new UsageError(`unknown policy command '${sub}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`pickleguard: ${e.message}; see pickleguard policy ${sub !== undefined && KNOWN_SUBS.has(sub) ? `${sub} ` : ''}--help\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

const KNOWN_SUBS = new Set(['check', 'infer', 'diff']);
