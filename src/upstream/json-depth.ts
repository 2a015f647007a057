const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Measures how deeply a JSON text nests arrays and objects, fed whole or chunk by chunk, so that a body nested
 * deeper than a bound is refused before it is parsed (V8 parses any depth, but serialising such a
 * value again overflows the stack). It reads raw UTF-8 bytes: the six ASCII bytes it looks at never occur
 * inside a multi-byte character, so chunk boundaries may fall anywhere. It does not validate JSON; the parser
 * does that afterwards.
 */
export class JsonDepthGauge {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The deepest nesting seen so far (the top-level value's brackets count as 1). */
  maxDepth = 0;

  constructor(private readonly limit: number) {}

  /** Reads one more chunk; false as soon as the nesting goes past the limit. */
  feed(chunk: Uint8Array): boolean {
    let { depth, inString, escaped, maxDepth } = this;
    const limit = this.limit;
    for (let i = 0; i < chunk.length; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        // Most bytes are inside strings: find the next quote natively; it ends the string unless an odd run of
        // backslashes escapes it.
        const quote = chunk.indexOf(QUOTE, i);
        const end = quote === -1 ? chunk.length : quote;
        let backslashes = 0;
        while (end - backslashes - 1 >= i && chunk[end - backslashes - 1] === BACKSLASH) backslashes++;
        if (quote === -1) {
          escaped = backslashes % 2 === 1;
          break;
        }
        if (backslashes % 2 === 0) inString = false;
        i = quote;
        continue;
      }
      const byte = chunk[i]!;
      if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        if (++depth > maxDepth) {
          maxDepth = depth;
          if (depth > limit) {
            this.maxDepth = maxDepth;
            return false;
          }
        }
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        depth--;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.maxDepth = maxDepth;
    return true;
  }
}
