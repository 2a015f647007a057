import { Writable } from 'node:stream';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { request } from 'undici';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type App, type AppOptions, type RunningServer, createApp, listen } from '../../src/server.js';
import { transportEnv } from './transport.js';

export interface TestApp {
  url: string;
  app: App;
  logs: string[];
  execute<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<TResult>>;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; json: any }>;
  close(): Promise<void>;
  server: RunningServer;
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

export const API_KEY = { 'x-api-key': 'test-key' };

/** Our server on 127.0.0.1 in front of `upstreamUrl`, with every log line captured. */
export async function startTestApp(upstreamUrl: string, env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestApp> {
  const config = loadConfig({ LOG_LEVEL: 'debug', ...transportEnv(), ...env }) as Config;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = createApp({ ...config, UPSTREAM_URL: upstreamUrl }, createLogger(config.LOG_LEVEL, sink), options);
  const server = await listen(app, '127.0.0.1', 0);

  const post: TestApp['post'] = async (body, headers = {}) => {
    const response = await request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.body.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: returned as text
    }
    return { status: response.statusCode, headers: response.headers, json };
  };

  return {
    url: server.url,
    server,
    app,
    logs,
    post,
    async execute(document, variables, headers = API_KEY) {
      const { status, json } = await post({ query: print(document), variables }, headers);
      return { status, ...(json as object) };
    },
    close: () => server.close(),
  };
}
