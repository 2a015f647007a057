/** One load run with autocannon: a distinct credential on every request, latencies kept at full precision. */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  body: string;
  connections: number;
  seconds: number;
  /** Requests per second from all connections together (fixed arrival rate); closed loop when absent. */
  rate?: number;
  /** Checks each response body (warm-up only: it costs the load generator time). Returns a problem or null. */
  validate?: (status: number, body: string) => string | null;
}

export interface LoadResult {
  requestsPerSecond: number;
  responses: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Bytes per 2xx response, headers included: equal for every valid answer of a scenario. */
  bytesPerResponse: number;
  /** The first problem `validate` found, and how many responses had one. */
  invalid: { count: number; first: string | null };
  seconds: number;
}

let credentialCounter = 0;
/** A credential no other request uses, so that no cache or in-flight sharing can answer it. */
const nextCredential = () => `bench-${process.pid}-${++credentialCounter}`;

export function percentile(sorted: Float64Array | number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const invalid = { count: 0, first: null as string | null };
  const validate = options.validate;

  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: options.body,
        setupRequest: (request: { headers?: Record<string, string> }) => {
          request.headers = { ...request.headers, 'x-api-key': nextCredential() };
          return request;
        },
        ...(validate
          ? {
              onResponse: (status: number, body: string) => {
                const problem = validate(status, body);
                if (problem !== null) {
                  invalid.count++;
                  invalid.first ??= problem;
                }
              },
            }
          : {}),
      },
    ],
  } as autocannon.Options) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;

  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode < 200 || statusCode >= 300) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
  });

  const result = await instance;
  const sorted = latencies.subarray(0, count).sort();
  const ok = result['2xx'];
  return {
    requestsPerSecond: ok / result.duration,
    responses: ok + result.non2xx,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: ok > 0 ? result.throughput.total / ok : 0,
    invalid,
    seconds: result.duration,
  };
}
