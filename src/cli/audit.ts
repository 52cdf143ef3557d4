/**
 * `pickleguard audit PATHS…`: the static auditor over files and directories, against a policy built
 * from packs, as text (one line per file, then its findings), JSON or SARIF 2.1.0.
 */
import type { AuditReport, Verdict } from '../audit/analyze.js';
import { auditFile } from '../containers/open.js';
import type { WorkerResult } from './workers.js';
import { SEVERITY_ORDER, type Severity } from '../audit/catalogue.js';
import { toSarif } from '../audit/sarif.js';
import { PolicyError } from '../errors.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import { EXIT_FINDINGS, EXIT_NOTHING, EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE, integerOption, parseCommand, readFailure, UsageError } from './args.js';
import { hinter } from './hints.js';
import { Progress } from './progress.js';
import { readPack } from './packs.js';
import { jsonlFile, textFile, withMinSeverity, worstVerdict, type ReportOptions } from './report.js';
import { walk } from './walk.js';
import { createPolicy } from '../policy/registry.js';
import type { Policy } from '../policy/types.js';

export interface AuditIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
  /** All of standard input (for the path -). */
  readStdin(): Promise<Uint8Array>;
  /** Whether stderr is a terminal (then a progress bar is drawn for long runs), and its width. */
  readonly stderrIsTTY?: boolean;
  readonly stderrColumns?: number;
  /** Scans files on worker threads (the bundled CLI provides it); without it, files are scanned here, in turn. */
  readonly auditInWorkers?: (paths: readonly string[], packs: readonly string[], jobs: number, done: (r: WorkerResult) => void) => Promise<void>;
  /** How many workers to use; default the number of cores. */
  readonly jobs?: number;
}

export const AUDIT_USAGE = `Usage: pickleguard audit [options] PATH...

Scan pickles without loading them: every global each one names and how, every call site, and a
verdict against a policy — safe, unsafe or malformed (a scan that cannot finish is never safe).
Files are read as one or more pickles in a row, or as a container: PyTorch checkpoints (zip, ZIP64,
and the legacy format), numpy .npy/.npz with object arrays, joblib files (raw array data skipped as
joblib.load skips it), gzip or zlib streams. Inner pickles are named file!member. A PATH of - reads
standard input (named <stdin>).

A file named on the command line is always read. Directories are walked in name order for files
that look like pickles or model files: by their first bytes (a pickle's opcodes; zip, gzip, zlib,
bz2, xz, lzma, 7z, lz4, zstd, tar and .npy signatures) or by their names (.pkl .pickle .pk .p .pt
.pth .bin .ckpt .joblib .npy .npz .sav .dill, and .pkl.gz and the like); the others are
skipped and counted. Symbolic links in directories are not followed unless asked, and no file or
directory is read twice.

An unsafe file that shipped packs would make safe says which: "hint: safe with --policy numpy"
(safeWith in json, jsonl and sarif), found by auditing it again under them. On a terminal, a
progress bar (files, bytes, rate, time left) is drawn on stderr for more than 20 files or 64 MB,
in every format; never on a pipe, nor with --quiet.

Options:
  --policy PACK      a policy pack (a JSON file, or a shipped pack's id: python-stdlib, numpy,
                     joblib, pytorch-state-dict, …) to judge against; repeat for several. Packs
                     they extend are found among these and the shipped ones. Default: the default
                     policy (python-stdlib with python-builtins).
  --format FORMAT    text (default): a line per file with the worst verdict of its parts (a
                     container and the pickles in it), its parts and findings indented under it;
                     json: one document; jsonl: one JSON object per part, as each file is done;
                     sarif: SARIF 2.1.0, for code-scanning dashboards
  --min-severity S   leave out findings less severe than S: critical, high, medium, low or info
                     (default info; low with --quiet). Verdicts and the exit status do not change
  -q, --quiet        print only files (and parts) that are not safe, and no progress bar
  -j, --jobs N       scan on N worker threads, each reading one file at a time (default: one per
                     core when the files add up to 64 MB or more, else none)
  --include GLOB     in directories, read only files that match GLOB (repeatable)
  --exclude GLOB     in directories, leave out files and directories that match GLOB (repeatable)
                     GLOB: * and ? within a name, ** for any directories, [a-z] and [!a-z];
                     without a /, it matches names; with one, paths from the directory walked
  --all              read every file in directories, not only those that look like pickles
  --follow-symlinks  follow symbolic links in directories (each file still read once)
  -h, --help         show this help

${EXIT_STATUS_HELP}`;

interface Args {
  paths: string[];
  packs: string[];
  format: 'text' | 'json' | 'jsonl' | 'sarif';
  quiet: boolean;
  minSeverity: Severity;
  help: boolean;
  jobs?: number;
  include: string[];
  exclude: string[];
  all: boolean;
  followSymlinks: boolean;
}

function parse(argv: readonly string[]): Args {
  const { values: v, positionals } = parseCommand('audit', argv, ['policy', 'format', 'quiet', 'jobs', 'include', 'exclude', 'all', 'follow-symlinks', 'min-severity']);
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'jsonl' && format !== 'sarif') {
    throw new UsageError(`--format must be text, json, jsonl or sarif, not ${JSON.stringify(format)}`);
  }
  const min = v['min-severity'] ?? (v.quiet ? 'low' : 'info');
  if (!(SEVERITY_ORDER as readonly string[]).includes(min)) throw new UsageError(`--min-severity must be one of ${SEVERITY_ORDER.join(', ')}, not ${JSON.stringify(min)}`);
  return {
    paths: positionals,
    packs: v.policy ?? [],
    format,
    quiet: v.quiet === true,
    minSeverity: min as Severity,
    help: v.help === true,
    include: v.include ?? [],
    exclude: v.exclude ?? [],
    all: v.all === true,
    followSymlinks: v['follow-symlinks'] === true,
    ...(v.jobs === undefined ? {} : { jobs: integerOption(v.jobs, '--jobs', 1) }),
  };
}

const count = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** What the walk left out, and the option that would read it. */
function skipNotes(w: { skipped: number; links: number }): string[] {
  const notes: string[] = [];
  if (w.skipped) notes.push(`skipped ${count(w.skipped, 'file')} that ${w.skipped === 1 ? 'is not a pickle' : 'are not pickles'}; --all to read them`);
  if (w.links) notes.push(`skipped ${count(w.links, 'symbolic link')}; --follow-symlinks to follow them`);
  return notes;
}

/** How standard input is named in reports. */
export const STDIN_NAME = '<stdin>';

function loadPolicy(io: AuditIO, packs: readonly string[]): Policy {
  if (packs.length === 0) return DEFAULT_POLICY;
  const loaded = packs.map((arg) => {
    try {
      return readPack(arg, (path) => io.readFile(path));
    } catch (e) {
      if (e instanceof PolicyError) throw e;
      throw new UsageError((e as Error).message);
    }
  });
  return createPolicy({ packs: loaded });
}

export async function runAudit(argv: readonly string[], io: AuditIO, version: string): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    io.stdout(AUDIT_USAGE);
    return EXIT_OK;
  }
  if (args.paths.length === 0) throw new UsageError('audit needs at least one PATH (- for standard input)');
  if (args.paths.filter((p) => p === '-').length > 1) throw new UsageError('audit: standard input (-) can be read only once');
  let policy: Policy;
  try {
    policy = loadPolicy(io, args.packs);
  } catch (e) {
    if (e instanceof UsageError || e instanceof PolicyError) {
      io.stderr(`pickleguard: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const walked = walk(args.paths, { all: args.all, followSymlinks: args.followSymlinks, include: args.include, exclude: args.exclude });
  const { files, bytes: totalBytes, errors } = walked;
  const perFile: ({ uri: string; report: AuditReport }[] | undefined)[] = new Array(files.length);
  /** Each file's hint: the --policy values under which it is safe (hints.ts). */
  const safeWith: (string[] | undefined)[] = new Array(files.length);
  const hint = hinter(args.packs, (path) => io.readFile(path));
  const jobs = args.jobs ?? io.jobs ?? 1;
  // Workers pay for themselves on many bytes (a small file costs less to scan here than to send to
  // one: 10,000 small pickles take 0.6 s here, 1.2 s on two workers); --jobs asks for them outright.
  const useWorkers = io.auditInWorkers !== undefined && jobs > 1 && files.length > 1 && (args.jobs !== undefined || totalBytes >= 64 << 20);
  // The bar: on a terminal, unless --quiet, for runs long enough to want one (progress.ts).
  const bar = io.stderrIsTTY === true && !args.quiet && (files.length > 20 || totalBytes >= 64 << 20) ? new Progress(io.stderr, files.length, totalBytes, io.stderrColumns || 80) : undefined;
  /** files[i] done (`bytes` read): print what is now in order, then redraw the bar. */
  const tick = (bytes: number) => {
    bar?.fileDone(bytes);
    flush();
    bar?.update();
  };
  // Text and jsonl stream in file order as results arrive (workers finish in any order); a file's
  // reports are then let go, so memory holds the files in flight, not the run.
  const keep = args.format === 'json' || args.format === 'sarif';
  const verdicts: Verdict[] = [];
  let partCount = 0;
  let allSafe = true;
  const shown: ReportOptions = { minSeverity: args.minSeverity, quiet: args.quiet };
  const name = (i: number) => (files[i] === '-' ? STDIN_NAME : files[i]!);
  let printed = 0;
  const flush = () => {
    while (printed < files.length && perFile[printed] !== undefined) {
      const parts = perFile[printed]!;
      if (parts.length > 0) {
        verdicts.push(worstVerdict(parts));
        partCount += parts.length;
        allSafe &&= parts.every((p) => p.report.verdict === 'safe');
        const out = args.format === 'text' ? textFile(name(printed), parts, shown, safeWith[printed]) : args.format === 'jsonl' ? jsonlFile(name(printed), parts, shown, safeWith[printed]) : '';
        if (out) {
          bar?.clear();
          io.stdout(out);
        }
      }
      if (!keep) perFile[printed] = [];
      printed++;
    }
  };
  /** Scans files[i] on this thread. */
  const scanHere = async (i: number): Promise<void> => {
    const path = files[i]!;
    let data: Uint8Array;
    try {
      data = path === '-' ? await io.readStdin() : io.readFile(path);
    } catch (e) {
      errors.push(readFailure(path, e));
      perFile[i] = [];
      return tick(0);
    }
    const parts = await auditFile(data, { name: name(i), policy });
    safeWith[i] = await hint(data, name(i), parts);
    perFile[i] = parts;
    tick(data.length);
  };
  // Standard input is read here, before the workers start.
  const stdin = files.indexOf('-');
  if (stdin >= 0) await scanHere(stdin);
  if (useWorkers) {
    const others = files.flatMap((f, i) => (f === '-' ? [] : [i]));
    await io.auditInWorkers!(
      others.map((i) => files[i]!),
      args.packs,
      jobs,
      (r) => {
        const index = others[r.index]!;
        if ('error' in r) {
          errors.push(r.error);
          perFile[index] = [];
        } else {
          perFile[index] = r.reports;
          safeWith[index] = r.safeWith;
        }
        tick('error' in r ? 0 : r.bytes);
      },
    );
  } else {
    for (let i = 0; i < files.length; i++) if (i !== stdin) await scanHere(i);
  }
  bar?.clear();
  if (keep) {
    const filtered = perFile.flatMap((r, i) => (r ?? []).map((p) => ({ uri: p.uri, report: withMinSeverity(p.report, args.minSeverity), ...(safeWith[i] ? { safeWith: safeWith[i] } : {}) })));
    if (args.format === 'json') {
      const skipped = { notPickles: walked.skipped, symlinks: walked.links };
      io.stdout(`${JSON.stringify({ policy: policy.name, files: filtered.map((r) => ({ path: r.uri, ...r.report, ...(r.safeWith ? { safeWith: r.safeWith } : {}) })), skipped, errors }, null, 2)}\n`);
    } else io.stdout(`${JSON.stringify(toSarif(filtered, version), null, 2)}\n`);
  }
  const tally = (v: string) => verdicts.filter((x) => x === v).length;
  if (args.format === 'text' && verdicts.length > 0) {
    const parts = partCount === verdicts.length ? '' : ` (${count(partCount, 'part')})`;
    const n = (v: string) => tally(v).toLocaleString('en-US');
    io.stdout(`${count(verdicts.length, 'file')}${parts}: ${n('safe')} safe, ${n('unsafe')} unsafe, ${n('malformed')} malformed (policy ${policy.name})\n`);
  }
  for (const w of walked.warnings) io.stderr(`pickleguard: warning: ${w}\n`);
  for (const note of skipNotes(walked)) io.stderr(`pickleguard: ${note}\n`);
  for (const e of errors) io.stderr(`pickleguard: ${e}\n`);
  if (errors.length) return EXIT_USAGE;
  if (verdicts.length === 0) {
    io.stderr('pickleguard: nothing was scanned\n');
    return EXIT_NOTHING;
  }
  return allSafe ? EXIT_OK : EXIT_FINDINGS;
}
