/**
 * Numeric arrays and tensors at a glance: dtype, shape, min/max/mean and the first values, with a
 * histogram (or a heatmap for 2-D) drawn on a canvas. Big arrays are sampled at an even stride.
 */
import { NdArray } from '../model/ndarray.js';
import { TorchTensor } from '../model/tensor.js';
import { h } from './dom.js';

/** Most elements read for the statistics and the plot. */
const SAMPLE = 1 << 20;

export interface NumericArray {
  readonly dtype: string;
  readonly shape: readonly number[];
  values(): ArrayLike<number | bigint> | null;
}

export function asArray(v: unknown): NumericArray | null {
  if (v instanceof NdArray) {
    return { dtype: v.dtype.str, shape: v.shape, values: () => (v.data === null || !'biufc'.includes(v.dtype.kind) || v.dtype.subarray || v.dtype.names ? null : v.toTypedArray()) };
  }
  if (v instanceof TorchTensor) return { dtype: `torch.${v.dtype}`, shape: v.shape, values: () => v.toTypedArray() };
  return null;
}

export interface Stats {
  readonly count: number;
  readonly sampled: boolean;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly first: readonly (number | bigint)[];
  readonly sample: Float64Array;
}

export function statsOf(values: ArrayLike<number | bigint>): Stats {
  const n = values.length;
  const step = Math.max(1, Math.ceil(n / SAMPLE));
  const sample = new Float64Array(Math.ceil(n / step));
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  for (let i = 0, j = 0; i < n; i += step, j++) {
    const x = Number(values[i]!);
    sample[j] = x;
    if (Number.isFinite(x)) {
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      finite++;
    }
  }
  const first: (number | bigint)[] = [];
  for (let i = 0; i < Math.min(8, n); i++) first.push(values[i]!);
  return { count: n, sampled: step > 1, min, max, mean: finite ? sum / finite : NaN, first, sample };
}

const fmt = (x: number | bigint) => (typeof x === 'bigint' ? x.toString() : Number.isInteger(x) ? String(x) : x.toPrecision(5));

/** A histogram of the sample, or a heatmap when the array is 2-D. */
function plot(shape: readonly number[], s: Stats): HTMLCanvasElement {
  const canvas = h('canvas', { width: 240, height: 96, class: 'plot', role: 'img' });
  const g = canvas.getContext('2d');
  if (g === null || !(s.max >= s.min)) return canvas;
  const span = s.max - s.min || 1;
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  if (shape.length === 2 && !s.sampled && shape[0]! > 1 && shape[1]! > 1) {
    const [rows, cols] = shape as [number, number];
    canvas.setAttribute('aria-label', `heatmap of a ${rows}×${cols} array, ${fmt(s.min)} (dark) to ${fmt(s.max)} (light)`);
    const w = Math.min(cols, 240);
    const hgt = Math.min(rows, 96);
    canvas.width = w;
    canvas.height = hgt;
    const img = g.createImageData(w, hgt);
    for (let y = 0; y < hgt; y++) {
      for (let x = 0; x < w; x++) {
        const v = s.sample[Math.floor((y * rows) / hgt) * cols + Math.floor((x * cols) / w)]!;
        const t = Number.isFinite(v) ? (v - s.min) / span : 0;
        const o = 4 * (y * w + x);
        img.data[o] = 40 + 215 * t;
        img.data[o + 1] = 60 + 150 * t;
        img.data[o + 2] = 140 - 100 * t;
        img.data[o + 3] = 255;
      }
    }
    g.putImageData(img, 0, 0);
    return canvas;
  }
  const bins = new Uint32Array(48);
  for (const v of s.sample) if (Number.isFinite(v)) bins[Math.min(47, Math.floor(((v - s.min) / span) * 48))]!++;
  const top = Math.max(...bins);
  canvas.setAttribute('aria-label', `histogram of ${s.sample.length} values from ${fmt(s.min)} to ${fmt(s.max)}`);
  g.fillStyle = dark ? '#7fb0ff' : '#2a5db0';
  bins.forEach((c, i) => {
    const bh = top ? (c / top) * 90 : 0;
    g.fillRect(i * 5, 96 - bh, 4, bh);
  });
  return canvas;
}

/** The summary shown inside an array's tree node (its statistics computed where the array lives). */
export function summary(a: { readonly dtype: string; readonly shape: readonly number[]; readonly stats: Stats | null; readonly error?: string }): HTMLElement {
  const head = h('div', { class: 'array-head' }, `dtype ${a.dtype}, shape (${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`);
  if (a.error !== undefined) return h('div', { class: 'array' }, head, h('div', { class: 'note' }, `values not shown: ${a.error}`));
  const s = a.stats;
  if (s === null) return h('div', { class: 'array' }, head);
  const line = `min ${fmt(s.min)}  max ${fmt(s.max)}  mean ${fmt(s.mean)}${s.sampled ? ` (of ${s.sample.length.toLocaleString('en')} sampled values)` : ''}`;
  const first = `first values: ${s.first.map(fmt).join(', ')}${s.count > s.first.length ? ', …' : ''}`;
  return h('div', { class: 'array', 'data-array': a.dtype }, head, h('div', { class: 'stats' }, line), h('div', { class: 'stats' }, first), plot(a.shape, s));
}
