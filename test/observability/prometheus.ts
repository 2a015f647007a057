import { request } from 'undici';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export interface Scrape {
  contentType: string;
  samples: Sample[];
  /** The value of the one sample with this name and (at least) these labels; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample with this name. */
  all(name: string): Sample[];
}

export async function scrape(baseUrl: string): Promise<Scrape> {
  const response = await request(`${baseUrl}/metrics`);
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`);
  const samples = parseExposition(await response.body.text());
  const all = (name: string) => samples.filter((s) => s.name === name);
  return {
    contentType: String(response.headers['content-type']),
    samples,
    all,
    value(name, labels = {}) {
      const found = all(name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}
