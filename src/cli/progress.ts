/**
 * The progress bar `audit` draws on stderr when it is a terminal: files and bytes done of the total,
 * the rate, and the time left, redrawn at most every 100 ms on one line that output lines clear.
 */

export interface ProgressState {
  readonly done: number;
  readonly total: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly elapsedMs: number;
}

const group = (n: number): string => n.toLocaleString('en-US');

/** A byte count in MB (GB from 10 GB), one unit for both sides of a fraction. */
function sizes(done: number, total: number): string {
  const [unit, div, digits] = total >= 1e10 ? ['GB', 1e9, 2] : ['MB', 1e6, 1];
  return `${(done / div).toFixed(digits)}/${(total / div).toFixed(digits)} ${unit}`;
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(sec).padStart(2, '0')}`;
}

/** The time left: from the share done so far, by files and by bytes alike; unknown for the first half second. */
export function eta(s: ProgressState): number | undefined {
  if (s.done === 0 || s.elapsedMs < 500) return undefined;
  const byFiles = s.done / s.total;
  const share = s.bytesTotal > 0 ? (byFiles + s.bytesDone / s.bytesTotal) / 2 : byFiles;
  return share >= 1 ? 0 : (s.elapsedMs * (1 - share)) / share;
}

/** One line, at most `columns` wide: `[=====>    ] 1,234/10,000 files  1.2/10.5 MB  2,345 files/s  ETA 0:42`. */
export function progressLine(s: ProgressState, columns: number): string {
  const left = eta(s);
  const rate = s.elapsedMs > 0 ? `${group(Math.round((s.done * 1000) / s.elapsedMs))} files/s` : '';
  const text = [`${group(s.done)}/${group(s.total)} files`, sizes(s.bytesDone, s.bytesTotal), rate, `ETA ${left === undefined ? '-:--' : clock(left)}`].filter(Boolean).join('  ');
  const room = columns - 1 - text.length - 3;
  if (room < 10) return text.slice(0, Math.max(0, columns - 1));
  const width = Math.min(room, 40);
  const filled = Math.min(width, Math.floor((width * s.done) / Math.max(1, s.total)));
  const bar = filled === width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `[${bar}] ${text}`;
}

const CLEAR = '\r\x1b[K';

/** The bar on a terminal: `clear()` before other output, `update()` after each file. */
export class Progress {
  private done = 0;
  private bytesDone = 0;
  private shown = false;
  private lastDraw = -Infinity;
  private readonly start: number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly total: number,
    private readonly bytesTotal: number,
    private readonly columns: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = now();
  }

  /** A file is done (its size in bytes). */
  fileDone(bytes: number): void {
    this.done++;
    this.bytesDone += bytes;
  }

  /** Erases the bar (to print a line). */
  clear(): void {
    if (this.shown) this.write(CLEAR);
    this.shown = false;
  }

  /** Draws the bar when 100 ms have passed since it was last drawn, or when it was cleared, or at the end. */
  update(): void {
    const t = this.now();
    if (this.shown && t - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = t;
    const line = progressLine({ done: this.done, total: this.total, bytesDone: this.bytesDone, bytesTotal: this.bytesTotal, elapsedMs: t - this.start }, this.columns);
    this.write(`${CLEAR}${line}`);
    this.shown = true;
  }
}
