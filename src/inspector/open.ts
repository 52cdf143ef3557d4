/**
 * The inspector's one door to the library's readers: a file's bytes in, one part per pickle-bearing
 * part out (the file itself, or `file!member` for what a container holds), each with the bytes its
 * report's offsets refer to. `auditFile` is the front door's walk (`openFile`) with each part
 * audited, so the page reads every format the library reads.
 */
import type { AuditReport } from '../audit/analyze.js';
import { auditFile, type ContainerOptions } from '../containers/open.js';

export interface OpenedPart {
  readonly uri: string;
  readonly report: AuditReport;
  /** The bytes the report's offsets are in (a view into the file, or a decompressed member). */
  readonly bytes: Uint8Array;
}

export async function openParts(bytes: Uint8Array, name: string, options: ContainerOptions = {}): Promise<OpenedPart[]> {
  const seen = new Map<string, Uint8Array>();
  const reports = await auditFile(bytes, name, { ...options, onPart: (uri, b) => void seen.set(uri, b) });
  return reports.map(({ uri, report }) => ({ uri, report, bytes: seen.get(uri) ?? bytes }));
}
