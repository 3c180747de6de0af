import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVersion } from '../../src/kb/version.js';

// What each source really sends, and what CVE matching must make of it.
const CASES: Array<[text: string, expected: ReturnType<typeof parseVersion>]> = [
  ['v1.27.3', { raw: 'v1.27.3', base: '1.27.3', comparable: '1.27.3', prerelease: undefined, vendor: undefined }],
  ['1.27.3', { raw: '1.27.3', base: '1.27.3', comparable: '1.27.3', prerelease: undefined, vendor: undefined }],
  ['3.4.23', { raw: '3.4.23', base: '3.4.23', comparable: '3.4.23', prerelease: undefined, vendor: undefined }],
  ['  v1.30.1\n', { raw: 'v1.30.1', base: '1.30.1', comparable: '1.30.1', prerelease: undefined, vendor: undefined }],
  // EKS: a prerelease-looking tag that is really a vendor build id.
  [
    'v1.27.3-eks-a5565ad',
    { raw: 'v1.27.3-eks-a5565ad', base: '1.27.3', comparable: '1.27.3', prerelease: undefined, vendor: 'eks-a5565ad' },
  ],
  // k3s / RKE2 / OpenShift put the vendor build in semver build metadata.
  [
    'v1.28.2+k3s1',
    { raw: 'v1.28.2+k3s1', base: '1.28.2', comparable: '1.28.2', prerelease: undefined, vendor: 'k3s1' },
  ],
  [
    'v1.26.10+rke2r1',
    { raw: 'v1.26.10+rke2r1', base: '1.26.10', comparable: '1.26.10', prerelease: undefined, vendor: 'rke2r1' },
  ],
  [
    'v1.27.6+f67aeb3',
    { raw: 'v1.27.6+f67aeb3', base: '1.27.6', comparable: '1.27.6', prerelease: undefined, vendor: 'f67aeb3' },
  ],
  [
    'v1.26.5-gke.1200',
    { raw: 'v1.26.5-gke.1200', base: '1.26.5', comparable: '1.26.5', prerelease: undefined, vendor: 'gke.1200' },
  ],
  // Google's kubectl build, the one installed on this machine.
  [
    'v1.32.4-dispatcher',
    { raw: 'v1.32.4-dispatcher', base: '1.32.4', comparable: '1.32.4', prerelease: undefined, vendor: 'dispatcher' },
  ],
  // Upstream pre-releases are not vendor builds: they compare below their release.
  [
    'v1.29.0-rc.1',
    { raw: 'v1.29.0-rc.1', base: '1.29.0', comparable: '1.29.0-rc.1', prerelease: 'rc.1', vendor: undefined },
  ],
  [
    'v1.30.0-alpha.2',
    { raw: 'v1.30.0-alpha.2', base: '1.30.0', comparable: '1.30.0-alpha.2', prerelease: 'alpha.2', vendor: undefined },
  ],
  [
    '3.5.0-beta.3',
    { raw: '3.5.0-beta.3', base: '3.5.0', comparable: '3.5.0-beta.3', prerelease: 'beta.3', vendor: undefined },
  ],
  // A development build from the Kubernetes tree: not a release, so treated like a vendor build.
  [
    'v1.29.0-alpha.3.123+0123abcd',
    {
      raw: 'v1.29.0-alpha.3.123+0123abcd',
      base: '1.29.0',
      comparable: '1.29.0',
      prerelease: undefined,
      vendor: 'alpha.3.123+0123abcd',
    },
  ],
  // Upstream pre-release with vendor build metadata.
  [
    'v1.29.0-rc.1+k3s1',
    { raw: 'v1.29.0-rc.1+k3s1', base: '1.29.0', comparable: '1.29.0-rc.1', prerelease: 'rc.1', vendor: 'k3s1' },
  ],
  ['01.020.3', { raw: '01.020.3', base: '1.20.3', comparable: '1.20.3', prerelease: undefined, vendor: undefined }],
  // Garbage is not a version.
  ['', undefined],
  ['latest', undefined],
  ['v1.27', undefined],
  ['1', undefined],
  ['v1.27.3.4', undefined],
  ['1.27.x', undefined],
  ['v1.27.3-', undefined],
  ['v1.27.3+', undefined],
  ['v1.27.3 (linux/amd64)', undefined],
  ['<html>404</html>', undefined],
  ['v-1.2.3', undefined],
  ['1.2.3456789', undefined],
  [`v1.27.3-${'a'.repeat(200)}`, undefined],
  ['v1.2.3\u0000', undefined],
];

describe('parseVersion', () => {
  for (const [text, expected] of CASES) {
    it(`${JSON.stringify(text.slice(0, 40))} → ${expected ? `${expected.comparable}${expected.vendor ? ` vendor ${expected.vendor}` : ''}` : 'not a version'}`, () => {
      assert.deepEqual(parseVersion(text), expected);
    });
  }
});
