import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runKubeferret } from '../helpers/cli.js';

// Loopback block 127.131.0.0/16 (see test/README.md). Identities given in the ways users give them (a
// kubeconfig, a token file, two contexts of one user) that the API server says are one user: one identity
// in the report, surveyed once, with every way it was obtained listed.

const dir = mkdtempSync(join(tmpdir(), 'kf-identities-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Identity {
  name: string;
  source: string;
  tls?: string;
  also?: string[];
}

/** A hunt with the given identity flags (a kubeconfig names the lab's API server); what its report says. */
async function hunt(args: string[]) {
  const r = await runKubeferret(
    ['hunt', ...args, '--format', 'json', '--fail-on', 'none'],
    { HOME: dir, KUBECONFIG: '' },
    120_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  return {
    identities: report.scan.identities as Identity[],
    surveyed: report.access.identities as string[],
  };
}

/** The lab's reader as a kubeconfig (context `reader@lab`), and another token of the same account in a file. */
function readerTwice(lab: Lab, tag: string) {
  const kubeconfig = join(dir, `${tag}.kubeconfig`);
  lab.kubeconfig('reader', kubeconfig);
  // A pod's bound token of the same account: another token, the same user.
  const pod = lab.podFiles(join(dir, `${tag}-pod`), 'default/reader');
  return { kubeconfig, tokenFile: join(pod.dir, 'token') };
}

for (const [version, asked] of [
  ['v1.32.4', '/apis/authentication.k8s.io/v1/selfsubjectreviews'],
  ['v1.27.3', '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews'],
  ['v1.24.0', undefined],
] as const) {
  describe(`one identity per user, on ${version}`, () => {
    let lab: Lab;
    const minor = Number(version.split('.')[1]);
    const base = `127.131.${minor}.2`;

    it(
      asked
        ? `a kubeconfig and a token file of one service account: one identity, as SelfSubjectReview says`
        : 'a kubeconfig and a token file of one service account: one identity, from the token the server accepted',
      async () => {
        lab = await startLab({ base, etcd: 'off', nodes: 1, version, profile: 'hardened' });
        try {
          const { kubeconfig, tokenFile } = readerTwice(lab, version);
          const since = lab.requests.length;
          // And another user (--token): it stays an identity of its own.
          const nobody = lab.credentials.nobody.token!;
          const r = await hunt(['--kubeconfig', kubeconfig, '--token-file', tokenFile, '--token', nobody]);
          assert.deepEqual(r.identities, [
            { name: 'reader@lab', source: 'kubeconfig', also: [`token-file:${tokenFile} (token)`] },
            { name: 'token', source: 'token', tls: 'unverified' },
          ]);
          assert.deepEqual(r.surveyed.filter((s) => s !== 'anonymous').sort(), ['reader@lab', 'token']);
          assert.ok(!r.surveyed.includes(`token-file:${tokenFile}`), 'surveyed once');
          const reviews = lab.requests
            .slice(since)
            .filter((q) => q.path.includes('selfsubjectreviews') && q.status === 201);
          if (asked) assert.ok(reviews.length > 0 && reviews.every((q) => q.path === asked), `asked ${asked}`);
          else assert.deepEqual(reviews, [], 'no review served before 1.27');
        } finally {
          await lab.stop();
        }
      },
    );
  });
}

describe('two contexts of one user', () => {
  it('are one identity, listed with both contexts; a context of another user is its own', async () => {
    const lab = await startLab({
      base: '127.131.100.2',
      etcd: 'off',
      nodes: 1,
      version: 'v1.32.4',
      profile: 'hardened',
    });
    try {
      const file = join(dir, 'contexts.kubeconfig');
      const doc = parse(lab.kubeconfig('reader'));
      const other = parse(lab.kubeconfig('nobody'));
      doc.users.push(...other.users);
      doc.contexts.push(
        { name: 'reader-again', context: { ...doc.contexts[0].context, namespace: 'dev' } },
        { name: 'nobody@lab', context: { ...doc.contexts[0].context, user: other.users[0].name } },
      );
      writeFileSync(file, stringify(doc), { mode: 0o600 });
      const r = await hunt([
        '--kubeconfig',
        file,
        '--context',
        'reader@lab',
        '--context',
        'reader-again',
        '--context',
        'nobody@lab',
      ]);
      assert.deepEqual(r.identities, [
        { name: 'reader@lab', source: 'kubeconfig', also: ['reader-again (kubeconfig)'] },
        { name: 'nobody@lab', source: 'kubeconfig' },
      ]);
      assert.deepEqual(r.surveyed.filter((s) => s !== 'anonymous').sort(), ['nobody@lab', 'reader@lab']);
    } finally {
      await lab.stop();
    }
  });
});

describe('never from guesses', () => {
  it('a token the server refuses is not merged, whatever service account its claims name', async () => {
    const lab = await startLab({
      base: '127.131.124.2',
      etcd: 'off',
      nodes: 1,
      version: 'v1.24.0',
      profile: 'hardened',
    });
    try {
      const { kubeconfig } = readerTwice(lab, 'forged');
      // The reader's claims, under a signature the server does not accept: 401, so nobody is known.
      const forged = lab.credentials.reader.token!.replace(/\.[^.]+$/, '.AAAA');
      const r = await hunt(['--kubeconfig', kubeconfig, '--token', forged]);
      assert.deepEqual(
        r.identities.map((i) => [i.name, i.also]),
        [
          ['reader@lab', undefined],
          ['token', undefined],
        ],
      );
    } finally {
      await lab.stop();
    }
  });
});
