// For .ci/run: waits until a started server prints its address (on stderr), sends the demo query with the demo
// key and checks that calls come back and that stdout held only JSON log lines. Exits 1 otherwise.
// Usage: node scripts/ci-production-check.mjs <stderr file> <stdout file>
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [stderrFile, stdoutFile] = process.argv.slice(2);
const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
const fail = (message) => {
  process.stderr.write(`production start: ${message}\n--- stdout\n${read(stdoutFile)}\n--- stderr\n${read(stderrFile)}\n`);
  process.exit(1);
};

let url;
for (let waited = 0; !url && waited < 180; waited++) {
  url = /GraphQL API: (http:\/\/\S+\/graphql)/.exec(read(stderrFile))?.[1];
  if (!url) await sleep(1000);
}
if (!url) fail('no "GraphQL API:" line within 180 s');

const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' },
  body: JSON.stringify({ query: '{ callHistory(projectId: "demo", first: 3) { nodes { sid status } } }' }),
});
const body = await response.json();
const calls = body?.data?.callHistory?.nodes ?? [];
if (response.status !== 200 || body.errors || calls.length !== 3) fail(`unexpected answer ${response.status}: ${JSON.stringify(body)}`);

const notJson = read(stdoutFile)
  .split('\n')
  .filter((line) => line !== '')
  .filter((line) => {
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
if (notJson.length > 0) fail(`stdout has lines that are not JSON: ${notJson.join(' | ')}`);
process.stdout.write(`production start: ${url} answered ${calls.length} calls (${calls.map((call) => call.sid).join(', ')})\n`);
