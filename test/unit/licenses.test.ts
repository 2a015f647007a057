import { describe, expect, it } from 'vitest';
import { type AllowList, type LockFile, disallowed, readJson, runtimePackages } from '../../scripts/licenses.js';

const lock = readJson<LockFile>('../package-lock.json');
const allow = readJson<AllowList>('./licenses.allow.json');

describe('runtime dependency licences', () => {
  it('are all in the allow-list (scripts/licenses.allow.json)', () => {
    const packages = runtimePackages(lock);
    expect(packages.length).toBeGreaterThan(50);
    expect(disallowed(packages, allow)).toEqual([]);
  });

  it('include the one Elastic-2.0 package the README names, and no dev-only package', () => {
    const packages = runtimePackages(lock);
    expect(packages.filter((pkg) => pkg.license === 'Elastic-2.0').map((pkg) => pkg.name)).toEqual(['@apollo/federation-internals']);
    expect(packages.map((pkg) => pkg.name)).not.toContain('vitest');
    expect(packages.map((pkg) => pkg.name)).toContain('graphql-yoga');
  });

  it('fail a package with a licence outside the list, or an exception under another licence', () => {
    const fake: LockFile = {
      packages: {
        '': {},
        'node_modules/left-pad': { version: '1.0.0', license: 'MIT' },
        'node_modules/copyleft': { version: '2.0.0', license: 'GPL-3.0-only' },
        'node_modules/x/node_modules/@apollo/federation-internals': { version: '2.0.0', license: 'BUSL-1.1' },
        'node_modules/unlicensed': { version: '0.1.0' },
        'node_modules/dev-only': { version: '1.0.0', license: 'GPL-3.0-only', dev: true },
      },
    };
    expect(disallowed(runtimePackages(fake), allow).map((pkg) => `${pkg.name} ${pkg.license}`)).toEqual([
      '@apollo/federation-internals BUSL-1.1',
      'copyleft GPL-3.0-only',
      'unlicensed UNKNOWN',
    ]);
  });
});
