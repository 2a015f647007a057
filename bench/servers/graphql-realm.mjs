// One graphql-js for the whole process, for the graphql-jit lever. bench/node_modules holds its own copy of graphql
// (the peer's), and a plugin installed there would load it: two copies make graphql-js reject the schema ("from
// another module or realm"). Every import of graphql is sent to the product's copy, resolved as the product
// resolves it (graphql 16 has no "exports", so Node loads its CommonJS main); require() calls get the same
// file (see ours.ts). In the product's own install there is one copy and none of this is needed.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const requireFromProduct = createRequire(new URL('../../package.json', import.meta.url));

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'graphql' || specifier.startsWith('graphql/')) {
    return { url: pathToFileURL(requireFromProduct.resolve(specifier)).href, format: 'commonjs', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
