import { type ObjectNode, iterator, parse } from '@humanwhocodes/momoa';

/**
 * The keys that appear more than once in one object of a JSON text. JSON.parse keeps the last of them silently,
 * so a log line with a repeated key would hide the first value from anything that reads the logs.
 */
export function duplicateKeys(text: string): string[] {
  const repeated: string[] = [];
  for (const { node } of iterator(parse(text), ({ node, phase }) => phase === 'enter' && node.type === 'Object')) {
    const seen = new Set<string>();
    for (const member of (node as ObjectNode).members) {
      const name = member.name.type === 'String' ? member.name.value : member.name.name;
      if (seen.has(name)) repeated.push(name);
      seen.add(name);
    }
  }
  return repeated;
}
