/** Test helper: pickletools' text with its MARK indentation capped as `disassemble()` caps it. */
import { MAX_INDENT_DEPTH } from '../src/audit/dis.js';

/**
 * pickletools.dis text with each line's MARK indentation stopped at MAX_INDENT_DEPTH levels, as
 * ours is; `deepest` is the deepest MARK level pickletools indented a line by.
 */
export function capIndent(text: string, indentlevel: number): { text: string; deepest: number } {
  let deepest = 0;
  const lines = text.split('\n').map((line) => {
    // "%5d: " then the opcode's repr (no blanks in it) padded to 4, one blank, the indentation.
    const m = /^( *\d+: )(\S+)( +)(.*)$/s.exec(line);
    if (m === null || indentlevel === 0) return line;
    const blanks = m[3].length - Math.max(0, 4 - m[2].length) - 1;
    const depth = Math.floor(blanks / indentlevel);
    deepest = Math.max(deepest, depth);
    if (depth <= MAX_INDENT_DEPTH) return line;
    return `${m[1]}${m[2]}${' '.repeat(m[3].length - blanks)}${' '.repeat(MAX_INDENT_DEPTH * indentlevel + (blanks % indentlevel))}${m[4]}`;
  });
  return { text: lines.join('\n'), deepest };
}
