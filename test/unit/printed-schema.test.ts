import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.js';
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
    const outputs = await generate({ ...codegenConfig, cwd: new URL('../..', import.meta.url).pathname, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(read(output.filename.replace(/^.*?test\/__generated__\//, 'test/__generated__/')), output.filename).toBe(
        output.content,
      );
    }
  }, 60_000);
});
