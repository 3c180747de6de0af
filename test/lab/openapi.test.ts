import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import YAML from 'yaml';
import { type Lab, startLab } from '../../src/lab/index.js';
import { call } from './call.js';

// Loopback block 127.18.1.0/24 (see test/README.md).

const GNOSTIC = protobuf.Root.fromJSON(
  JSON.parse(readFileSync(new URL('../../src/lab/proto/openapiv2.json', import.meta.url), 'utf8')),
).lookupType('openapi.v2.Document');

function rawGet(url: string, token: string, accept: string): Promise<{ type?: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers: { authorization: `Bearer ${token}`, accept }, rejectUnauthorized: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ type: res.headers['content-type'], body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('OpenAPI of a v1.16 lab', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ base: '127.18.1.2', etcd: 'off', nodes: 1 });
  });
  after(() => lab.stop());

  it('serves v2 as JSON, with the kinds it serves and their fields', async () => {
    const r = await call(`${lab.apiServer}/openapi/v2`);
    assert.equal(r.status, 200);
    const defs = r.json.definitions;
    assert.deepEqual(defs['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [
      { group: '', version: 'v1', kind: 'Pod' },
    ]);
    assert.deepEqual(defs['io.k8s.api.core.v1.PodSpec'].properties.hostPID, { type: 'boolean' });
    // Inline Go fields are flattened, as in JSON: a volume's hostPath sits on the volume.
    assert.deepEqual(defs['io.k8s.api.core.v1.Volume'].properties.hostPath, {
      $ref: '#/definitions/io.k8s.api.core.v1.HostPathVolumeSource',
    });
    assert.equal(defs['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.deepEqual(defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time'], { type: 'string', format: 'date-time' });
    assert.equal(defs['io.k8s.api.batch.v1.CronJob'], undefined, 'a 1.16 lab serves no batch/v1 CronJob');
    for (const [name, d] of Object.entries(defs) as [string, { properties?: Record<string, { $ref?: string }> }][])
      for (const p of Object.values(d.properties ?? {}))
        if (p.$ref) assert.ok(defs[p.$ref.replace('#/definitions/', '')], `${name} refers to a definition it has`);
  });

  it('serves v2 in protobuf (gnostic) to kubectl, the same document', async () => {
    const r = await rawGet(
      `${lab.apiServer}/openapi/v2`,
      lab.credentials.admin.token!,
      'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    );
    assert.equal(r.type, 'application/octet-stream');
    const doc = GNOSTIC.toObject(GNOSTIC.decode(r.body)) as {
      swagger: string;
      definitions: {
        additional_properties: {
          name: string;
          value: { vendor_extension?: { name: string; value: { yaml: string } }[] };
        }[];
      };
    };
    assert.equal(doc.swagger, '2.0');
    const pod = doc.definitions.additional_properties.find((d) => d.name === 'io.k8s.api.core.v1.Pod');
    const gvk = pod?.value.vendor_extension?.find((e) => e.name === 'x-kubernetes-group-version-kind');
    assert.deepEqual(YAML.parse(gvk!.value.yaml), [{ group: '', version: 'v1', kind: 'Pod' }]);
  });

  it('has no v3 before 1.27', async () => {
    assert.equal((await call(`${lab.apiServer}/openapi/v3`)).status, 404);
  });
});

describe('OpenAPI of a v1.32 lab', () => {
  let lab: Lab;
  let token: string;
  before(async () => {
    lab = await startLab({ base: '127.18.1.20', profile: 'default', etcd: 'off', nodes: 1 });
    token = lab.credentials.admin.token!;
  });
  after(() => lab.stop());

  it('lists one v3 document per group version, each with its kinds, paths and the fieldValidation parameter', async () => {
    const root = await call(`${lab.apiServer}/openapi/v3`, { token });
    assert.equal(root.status, 200);
    const apps = root.json.paths['apis/apps/v1'].serverRelativeURL;
    assert.match(apps, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await call(`${lab.apiServer}${apps}`, { token });
    assert.equal(doc.status, 200);
    const schemas = doc.json.components.schemas;
    assert.deepEqual(schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    assert.ok(schemas['io.k8s.api.core.v1.PodSpec'], 'referenced types come along');
    const post = doc.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
    assert.equal(post['x-kubernetes-action'], 'post');
    assert.ok(post.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
    assert.equal((await call(`${lab.apiServer}/openapi/v3/apis/nope.example.com/v1`, { token })).status, 404);
  });
});
