import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useCompiledExecution } from '../../src/plugins/compiled-execution.js';

const typeDefs = `
  type Query { greeting(name: String!): String!, count(n: Int!): Int!, _entities(representations: [String!]!): [String]! }
  type Mutation { touch: Boolean }
`;
const resolvers = {
  Query: {
    greeting: (_: unknown, { name }: { name: string }) => `hello ${name}`,
    count: (_: unknown, { n }: { n: number }) => n,
    _entities: (_: unknown, { representations }: { representations: string[] }) => representations,
  },
  Mutation: { touch: () => true },
};
const schema = createSchema({ typeDefs, resolvers });

function serve() {
  const refused: string[] = [];
  const compiled = useCompiledExecution({ onRefused: (_operation, reason) => refused.push(reason) });
  const yoga = createYoga({ schema, plugins: [compiled], logging: false, maskedErrors: false });
  const run = async (query: string, variables?: Record<string, unknown>) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
  return { run, stats: compiled.stats, refused };
}

describe('plugins/compiled-execution', () => {
  it('compiles a query once per document and runs every later request compiled', async () => {
    const { run, stats, refused } = serve();
    for (const name of ['a', 'b', 'c']) {
      expect(await run('query($name: String!) { greeting(name: $name) }', { name })).toEqual({ data: { greeting: `hello ${name}` } });
    }
    expect(stats).toEqual({ compiled: 3, regular: 0 });
    expect(refused).toEqual([]);
  });

  it('leaves variables that do not coerce to graphql-js, whose message the caller gets', async () => {
    const { run, stats } = serve();
    const answer = await run('query($n: Int!) { count(n: $n) }', { n: 'many' });
    expect(answer.errors[0].message).toBe('Variable "$n" got invalid value "many"; Int cannot represent non-integer value: "many"');
    expect(stats).toEqual({ compiled: 0, regular: 1 });
    expect(await run('query($n: Int!) { count(n: $n) }', { n: 2 })).toEqual({ data: { count: 2 } });
    expect(stats).toEqual({ compiled: 1, regular: 1 });
  });

  it('runs mutations and _entities on the regular executor, saying why once per document', async () => {
    const { run, stats, refused } = serve();
    expect(await run('mutation { touch }')).toEqual({ data: { touch: true } });
    expect(await run('mutation { touch }')).toEqual({ data: { touch: true } });
    expect(await run('{ _entities(representations: ["x"]) }')).toEqual({ data: { _entities: ['x'] } });
    expect(stats).toEqual({ compiled: 0, regular: 3 });
    expect(refused).toEqual(['a mutation runs on the regular executor', '_entities runs on the regular executor']);
  });

  it('answers errors as graphql-js does: errors first, with locations and path', async () => {
    const { run } = serve();
    const answer = await run('query($name: String!) {\n  greeting(name: $name)\n  count(n: 1)\n}', { name: 'x' });
    expect(answer).toEqual({ data: { greeting: 'hello x', count: 1 } });
    const failingSchema = createSchema({
      typeDefs,
      resolvers: { ...resolvers, Query: { ...resolvers.Query, count: () => { throw new Error('no count'); } } },
    });
    const failing = createYoga({ schema: failingSchema, plugins: [useCompiledExecution()], logging: false, maskedErrors: false });
    const response = await failing.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{\n  count(n: 1)\n}' }),
    });
    expect(await response.text()).toBe('{"errors":[{"message":"no count","locations":[{"line":2,"column":3}],"path":["count"]}],"data":null}');
  });
});
