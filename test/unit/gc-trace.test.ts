import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LineSplitter, parseGcLine } from '../../bench/lib/gc-trace.js';

describe("bench:alloc's reading of V8's GC trace", () => {
  it("reads the collections this Node prints, with the bytes a known allocation adds up to", () => {
    // About 64 MiB of short-lived arrays, then exit: every scavenge on the way is one line.
    const script = 'let keep; for (let i = 0; i < 1 << 16; i++) keep = new Array(128).fill(i); console.log(keep.length);';
    const output = execFileSync(process.execPath, ['--trace-gc-nvp', '--max-semi-space-size=1', '-e', script], { encoding: 'utf8' });
    const collections = output.split('\n').map(parseGcLine).filter((collection) => collection !== null);
    expect(collections.length).toBeGreaterThan(5);
    expect(collections.some((collection) => collection.kind === 's')).toBe(true);
    const allocated = collections.reduce((sum, collection) => sum + collection.allocatedBytes, 0);
    // 65,536 arrays of 128 small integers are at least 64 MiB of elements; what the trace counts lies near that.
    expect(allocated).toBeGreaterThan(40 * 2 ** 20);
    expect(allocated).toBeLessThan(200 * 2 ** 20);
    expect(collections.every((collection) => collection.pauseMs >= 0 && collection.promotedBytes >= 0)).toBe(true);
  });

  it('ignores lines that are not a whole collection', () => {
    expect(parseGcLine('LISTENING 4010')).toBeNull();
    expect(parseGcLine('[1:0x1:0]  43 ms: pause=0.9 mutator=38.6 gc=s reduce_memory=0')).toBeNull();
    expect(parseGcLine('pause=0.9 gc=s allocated=1024 promoted=16')).toEqual({ kind: 's', pauseMs: 0.9, allocatedBytes: 1024, promotedBytes: 16 });
  });

  it('joins a line cut between two chunks', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('pause=1 gc=s alloc')).toEqual([]);
    expect(splitter.push('ated=8 promoted=0\nnext')).toEqual(['pause=1 gc=s allocated=8 promoted=0']);
    expect(splitter.push('\n')).toEqual(['next']);
  });
});
