import { readFileSync } from 'node:fs';
import { type CodegenConfig, generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.js';
import consumerCodegenConfig from '../../examples/consumer/codegen.js';
import { printPublicSdl, printSubgraphSdl } from '../../src/schema/print.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('printed schema and generated documents stay in step with the code', () => {
  it('schema/schema.graphql is what the Pothos schema prints (run `npm run schema:print`)', () => {
    expect(read('schema/schema.graphql')).toBe(printPublicSdl());
  });

  it('schema/subgraph.graphql is what the federation subgraph prints (run `npm run schema:print`)', () => {
    expect(read('schema/subgraph.graphql')).toBe(printSubgraphSdl());
  });

  it('test/__generated__ is what codegen produces from the schema and the test documents (run `npm run codegen`)', async () => {
    await expectGenerated(codegenConfig, 'test/__generated__/');
  }, 60_000);

  it('examples/consumer/src/gql, its manifest included, is what the consumer\'s codegen produces (run `npm run codegen`)', async () => {
    await expectGenerated(consumerCodegenConfig, 'examples/consumer/src/gql/');
  }, 60_000);
});

/** Runs codegen with `config` from the repository root and compares every output with the committed file under `dir`. */
async function expectGenerated(config: CodegenConfig, dir: string): Promise<void> {
  const outputs = await generate({ ...config, cwd: new URL('../..', import.meta.url).pathname, silent: true }, false);
  expect(outputs.length).toBeGreaterThan(0);
  for (const output of outputs) {
    const path = output.filename.slice(output.filename.indexOf(dir));
    expect(path.startsWith(dir), output.filename).toBe(true);
    expect(read(path), output.filename).toBe(output.content);
  }
}
