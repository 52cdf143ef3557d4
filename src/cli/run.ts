/**
 * The `pickleguard` command line, as a function of its arguments and its I/O so it can be driven
 * without a process. `main.ts` wires it to the real process. Node built-ins only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PickleError } from '../errors.js';
import { disassembleTo, type DisMemo } from '../audit/dis.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE, integerOption, parseCommand, readFailure, UsageError } from './args.js';
import { runAudit, type AuditIO } from './audit.js';
import { runConvert } from './convert.js';
import { runInspect } from './inspect.js';
import { runPolicyCommand } from './policy.js';
import { openFile } from '../containers/open-file.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input. */
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Uint8Array;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  readonly stderrIsTTY?: boolean;
  /** Its width in columns, when it is one. */
  readonly stderrColumns?: number;
  /** Worker threads for `audit` over many files (only the bundled CLI has a script to start them from). */
  readonly auditInWorkers?: AuditIO['auditInWorkers'];
  readonly jobs?: number;
}

export { EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_NOTHING } from './args.js';

const USAGE = `Usage: pickleguard <command> [options]

Inspect Python pickles without running them.

Commands:
  audit PATH...        scan pickles and model files for what they would do, without loading them
  convert FILE         load a pickle under a policy (or --inspect) and print it as JSON
  dis FILE...          disassemble pickles, printing what \`python3 -m pickletools FILE...\` prints
  inspect [FILE...]    open the inspector page on 127.0.0.1 (in the browser) to look inside files
  policy check PACK... validate policy packs and print their digests
  policy infer FILE... draft a pack from trusted sample pickles (JSON on stdout)
  policy diff A B      compare what two packs allow

A FILE or PATH of - is standard input (audit, convert, dis).

Options:
  -h, --help           show this help (\`pickleguard COMMAND --help\` shows a command's options)
  -V, --version        print the version

${EXIT_STATUS_HELP}`;

const DIS_USAGE = `Usage: pickleguard dis [options] FILE...

Disassemble the first pickle in each FILE ('-' reads standard input) and check it the way
CPython's pickletools does, printing exactly what \`python3 -m pickletools\` prints. Other files
(PyTorch checkpoints, .npy/.npz, gzip/zlib, Django cache entries, Celery messages, …) are opened
as audit opens them, and each pickle in them is disassembled under its name (file!member).

Options:
  -a, --annotate [N]     annotate each line with a short opcode description, aligned near
                         column N (default 30, as \`pickletools -a\`)
  -m, --memo             keep the memo from one file to the next
  -l, --indent N         the number of blanks by which to indent a new MARK level (default 4);
                         also spelt --indentlevel
  -p, --preamble TEXT    with several files, print this before each disassembly; {name} is the
                         file's name (default "==> {name} <==")
  -h, --help             show this help

Exit status: 0 success; 1 a malformed pickle (the disassembly up to the bad opcode is printed,
then the error on stderr); 2 usage or I/O error.
`;

/** The version in the package.json of this package, found by walking up from this file. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'pickleguard' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: go up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return 'unknown';
}

interface DisArgs {
  files: string[];
  annotate: number;
  memo: boolean;
  indent: number;
  preamble: string;
  help: boolean;
}

function parseDisArgs(argv: readonly string[]): DisArgs {
  // `-a` takes an optional column, which parseArgs cannot express: give it one explicitly.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a === '-a' || a === '--annotate') args.push(`--annotate=${/^\d+$/.test(argv[i + 1] ?? '') ? argv[++i] : '30'}`);
    else args.push(a);
  }
  const { values: v, positionals } = parseCommand('dis', args, ['annotate', 'memo', 'indent', 'indentlevel', 'preamble']);
  const indent = v.indent ?? v.indentlevel;
  return {
    files: positionals,
    annotate: v.annotate === undefined ? 0 : integerOption(v.annotate, '--annotate'),
    memo: v.memo === true,
    indent: indent === undefined ? 4 : integerOption(indent, '--indent'),
    preamble: v.preamble ?? '==> {name} <==',
    help: v.help === true,
  };
}

/** Buffers output into large writes. */
function bufferedWriter(write: (t: string) => void): { add(t: string): void; flush(): void } {
  let parts: string[] = [];
  let size = 0;
  return {
    add(t: string) {
      parts.push(t);
      size += t.length;
      if (size >= 1 << 16) this.flush();
    },
    flush() {
      if (parts.length > 0) write(parts.join(''));
      parts = [];
      size = 0;
    },
  };
}

async function runDis(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseDisArgs(argv);
  if (args.help) {
    io.stdout(DIS_USAGE);
    return EXIT_OK;
  }
  if (args.files.length === 0) throw new UsageError('dis: no FILE given (use - for standard input)');
  if (args.files.filter((f) => f === '-').length > 1) throw new UsageError('dis: standard input (-) can be read only once');

  // Like pickletools (argparse opens every file first), read all files before printing anything.
  const inputs: { name: string; data: Uint8Array }[] = [];
  for (const f of args.files) {
    let data: Uint8Array;
    if (f === '-') {
      data = await io.readStdin();
    } else {
      try {
        data = io.readFile(f);
      } catch (err) {
        io.stderr(`pickleguard: ${readFailure(f, err)}\n`);
        return EXIT_USAGE;
      }
    }
    inputs.push({ name: f === '-' ? '<stdin>' : f, data });
  }

  const out = bufferedWriter(io.stdout);
  const shared: DisMemo | undefined = args.memo ? new Map() : undefined;
  for (const { name, data } of inputs) {
    // A plain pickle is disassembled whole, as pickletools does; a container's pickles each under their name.
    const opened = await openFile(data, { name });
    const plain = opened.format === 'pickle' && opened.parts.length === 1 && opened.parts[0]!.bytes === data;
    const pieces = plain ? [{ name, bytes: data }] : opened.parts.map((p) => ({ name: p.name, bytes: p.bytes.subarray(p.offset) }));
    if (pieces.length === 0) {
      out.flush();
      const why = opened.findings.find((f) => f.severity !== 'info') ?? opened.findings[0];
      io.stderr(`pickleguard: ${name}: no pickle to disassemble${why ? `: ${why.message}` : ''}\n`);
      return EXIT_FINDINGS;
    }
    for (const piece of pieces) {
      if (inputs.length > 1 || !plain) out.add(args.preamble.replaceAll('{name}', piece.name) + '\n');
      try {
        disassembleTo(piece.bytes, (t) => out.add(t), { annotate: args.annotate, indentlevel: args.indent, memo: shared ?? false });
      } catch (err) {
        out.flush();
        if (err instanceof PickleError) {
          io.stderr(`pickleguard: ${piece.name}: ${err.message}\n`);
          return EXIT_FINDINGS;
        }
        throw err;
      }
    }
  }
  out.flush();
  return EXIT_OK;
}

/** Runs the command line `argv` (without the node and script paths); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.stderr(USAGE);
        return EXIT_USAGE;
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return EXIT_OK;
      case '-V':
      case '--version':
        io.stdout(`${packageVersion()}\n`);
        return EXIT_OK;
      case 'dis':
        return await runDis(rest, io);
      case 'policy':
        return runPolicyCommand(rest, io);
      case 'audit':
        return await runAudit(rest, io, packageVersion());
      case 'convert':
        return await runConvert(rest, io);
      case 'inspect':
        return await runInspect(rest, io);
      default:
        throw new UsageError(command.startsWith('-') ? `unknown option ${command} (options follow the command)` : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const known = ['dis', 'policy', 'audit', 'convert', 'inspect'].includes(command ?? '');
      io.stderr(`pickleguard: ${err.message}; see pickleguard ${known ? `${command} ` : ''}--help\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
