import { etcdPrefix } from '../../active/naming.js';
import { refusal } from '../../active/send.js';
import { baseUrl } from '../../active/toolkit.js';
import { defineHunter } from '../../core/hunter.js';
import { serviceOf } from '../probe.js';
import { b64, GATEWAYS } from './access.js';

const unb64 = (text: string | undefined) =>
  text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');

interface RangeResponse {
  kvs?: { key?: string; value?: string }[];
}

/**
 * Proves unauthenticated write access to etcd through its v3 JSON gateway: writes a key under the run's
 * own prefix `/kubeferret/<run id>/`, reads it back, deletes it. The key is journalled before it is
 * written, so even a killed run leaves nothing in etcd once `kubeferret cleanup` ran.
 */
export const etcdActiveKeys = defineHunter({
  id: 'etcd-active-keys',
  title: 'Writes, reads back and deletes an etcd key without authentication',
  mode: 'active',
  on: 'Finding',
  when: (f) => f.kb === 'KF-ETCD-003' || f.kb === 'KF-ETCD-002',
  subject: (f) => `${f.host}:${f.port}`,
  reports: ['KF-ETCD-101', 'KF-ETCD-102', 'KF-ETCD-103'],
  readOnlyRequests: GATEWAYS.map((gateway) => ({
    method: 'POST',
    path: `${gateway}/kv/range`,
    why: 'the v3 gateway reads keys with POST',
  })),
  changes: 'writes the etcd key /kubeferret/<run id>/proof, reads it back and deletes it',
  async hunt(finding, ctx) {
    const { host, port } = finding;
    if (!host || !port) return;
    // The gateway prefix the passive hunter found answering: /v3, or /v3beta, /v3alpha on older etcd.
    const gateway = GATEWAYS.find((g) => finding.path === `${g}/kv/range`);
    if (!gateway) {
      ctx.log(`the client API at ${finding.path ?? '?'} is not a v3 gateway: no key is written through it`);
      return;
    }
    const base = baseUrl(serviceOf(ctx, host, port)?.scheme ?? 'http', host, port);
    const key = `${etcdPrefix(ctx.runId)}proof`;
    // Short enough that no redaction mistakes its base64 for a secret in the plan of a dry run.
    const value = `kubeferret proof ${ctx.runId}`;
    const identity = { name: 'anonymous' };
    const report = (kb: string, path: string, evidence: string) =>
      ctx.report({ kb, host, port, path, object: `etcd key ${key}`, identity: identity.name, evidence, proof: true });

    // A read first: it shows etcd answers without credentials here, and that the key is not taken.
    const range = (label: string) =>
      ctx.net
        .http({
          url: `${base}${gateway}/kv/range`,
          method: 'POST',
          body: JSON.stringify({ key: b64(key) }),
          headers: { 'content-type': 'application/json' },
        })
        .then((res) => ({ res, value: unb64(res.json<RangeResponse>()?.kvs?.[0]?.value) }))
        .catch((err: Error) => {
          ctx.log(`${label} ${key}: ${err.message}`);
          return undefined;
        });
    const first = await range('range');
    if (first?.res.status !== 200) {
      if (first) ctx.log(`range ${key}: ${refusal(first.res)}`);
      return;
    }
    if (first.value !== undefined) {
      ctx.log(`${key} exists already: not writing over it`);
      return;
    }
    const put = await ctx.change({
      action: `put etcd key ${key}`,
      target: `${base}${gateway}/kv/put`,
      identity,
      apply: {
        method: 'POST',
        url: `${base}${gateway}/kv/put`,
        body: JSON.stringify({ key: b64(key), value: b64(value) }),
      },
      undo: {
        method: 'POST',
        url: `${base}${gateway}/kv/deleterange`,
        body: JSON.stringify({ key: b64(key) }),
        description: `delete etcd key ${key}`,
      },
    });
    if (put.state === 'refused') {
      if (put.response) ctx.log(`put ${key}: ${refusal(put.response)}`);
      return;
    }
    if (put.state === 'applied') {
      const revision = put.response?.json<{ header?: { revision?: string } }>()?.header?.revision;
      report(
        'KF-ETCD-101',
        `${gateway}/kv/put`,
        `wrote ${key} without credentials${revision ? ` (revision ${revision})` : ''}`,
      );
      const back = await range('read back');
      if (back?.res.status === 200 && back.value === value) {
        report('KF-ETCD-102', `${gateway}/kv/range`, `read ${key} back without credentials: the value written`);
      } else if (back) {
        ctx.log(`read back ${key}: ${back.res.status === 200 ? 'value not found' : refusal(back.res)}`);
      }
    }
    const deleted = await put.undo();
    const count = Number(deleted.response?.json<{ deleted?: string }>()?.deleted ?? 0);
    if (deleted.state === 'undone' && count > 0) {
      report('KF-ETCD-103', `${gateway}/kv/deleterange`, `deleted ${key} without credentials (${count} key)`);
    }
  },
});
