import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The persisted-documents manifest codegen writes for the example consumer (examples/consumer). */
export const CONSUMER_MANIFEST = fileURLToPath(new URL('../../examples/consumer/src/gql/persisted-documents.json', import.meta.url));

/** The manifest's documentId -> document text. */
export const consumerManifest = (): Record<string, string> => JSON.parse(readFileSync(CONSUMER_MANIFEST, 'utf8'));
