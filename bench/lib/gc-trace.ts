/**
 * V8's `--trace-gc-nvp` output, one line per collection: its kind (`s` for a scavenge), its pause, and the bytes
 * allocated since the previous collection and promoted by this one. Lines of anything else, and lines cut where a
 * chunk of output ended, are none.
 */
export interface Collection {
  kind: string;
  pauseMs: number;
  allocatedBytes: number;
  promotedBytes: number;
}

const FIELD = /\b(pause|gc|allocated|promoted)=([^\s]+)/g;

export function parseGcLine(line: string): Collection | null {
  const fields = new Map<string, string>();
  for (const [, name, value] of line.matchAll(FIELD)) if (!fields.has(name!)) fields.set(name!, value!);
  const kind = fields.get('gc');
  const pauseMs = Number(fields.get('pause'));
  const allocatedBytes = Number(fields.get('allocated'));
  const promotedBytes = Number(fields.get('promoted'));
  if (kind === undefined || ![pauseMs, allocatedBytes, promotedBytes].every(Number.isFinite)) return null;
  return { kind, pauseMs, allocatedBytes, promotedBytes };
}

/** Splits a process's output into lines as it arrives, keeping a line cut at a chunk's end for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }
}
