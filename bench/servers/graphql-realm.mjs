// One graphql-js for the whole process, for the graphql-jit lever. graphql-jit 0.8.7 ships an ESM entry that
// loads its CommonJS files, which `require('graphql')`; the product imports graphql's ESM build, and bench/
// holds another copy for the peer. Two realms make graphql-js reject the schema, so every import of graphql
// is sent to the product's CommonJS build, which is also what the require() calls get (see ours.ts).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const requireFromProduct = createRequire(new URL('../../package.json', import.meta.url));

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'graphql' || specifier.startsWith('graphql/')) {
    return { url: pathToFileURL(requireFromProduct.resolve(specifier)).href, format: 'commonjs', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
