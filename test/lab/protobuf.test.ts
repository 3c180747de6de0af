import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { type Lab, startLab } from '../../src/lab/index.js';
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  PROTOBUF,
  ProtobufError,
  protobufType,
} from '../../src/lab/protobuf.js';
import { call } from './call.js';

// Loopback block 127.18.0.0/16 (see test/README.md).

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'default',
    labels: { app: 'web' },
    creationTimestamp: '2024-05-01T10:20:30Z',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u-1', controller: true }],
  },
  spec: {
    automountServiceAccountToken: false,
    hostPID: true,
    containers: [
      {
        name: 'c',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        envFrom: [{ secretRef: { name: 'db' } }],
        env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
        resources: { limits: { cpu: '500m', memory: '1Gi' } },
        securityContext: { privileged: true, runAsUser: 0 },
        livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
      },
    ],
    volumes: [
      { name: 'host', hostPath: { path: '/', type: '' } },
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
    ],
  },
};

describe('Kubernetes protobuf', () => {
  it('round-trips a pod through the envelope: inline fields, quantities, int-or-string, times, zero pointers', () => {
    const wire = encodeKubernetesProtobuf(POD);
    assert.ok(wire);
    assert.deepEqual([...wire.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
    const back = decodeKubernetesProtobuf(wire);
    const expected = structuredClone(POD) as unknown as { spec: { volumes: Record<string, unknown>[] } };
    // hostPath.type "" is Go's zero value: the real server leaves it out of JSON as well.
    expected.spec.volumes[0] = { name: 'host', hostPath: { path: '/' } };
    assert.deepEqual(back, expected);
  });

  it('reads the envelope through the published schema: the raw bytes are a core/v1 Pod', () => {
    const wire = encodeKubernetesProtobuf(POD)!;
    const podType = protobufType('v1', 'Pod')!;
    assert.equal(podType.fullName, '.k8s.io.api.core.v1.Pod');
    // Read runtime.Unknown by hand: its field 2 is the raw object.
    const reader = protobuf.Reader.create(wire.subarray(4));
    let raw: Uint8Array | undefined;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === 2) raw = reader.bytes();
      else reader.skipType(tag & 7);
    }
    const pod = podType.toObject(podType.decode(raw!)) as { spec: { hostPID: boolean } };
    assert.equal(pod.spec.hostPID, true);
  });

  it('has no protobuf form for custom resources, and knows Status under any version', () => {
    assert.equal(protobufType('example.com/v1', 'Widget'), undefined);
    assert.equal(protobufType('apps.example.com/v1', 'Deployment'), undefined);
    assert.equal(protobufType('v1', 'Status')?.fullName, '.k8s.io.apimachinery.pkg.apis.meta.v1.Status');
    assert.equal(protobufType('v1', 'NoSuchKind'), undefined);
    assert.equal(encodeKubernetesProtobuf({ apiVersion: 'example.com/v1', kind: 'Widget' }), undefined);
  });

  it('refuses bodies that are not Kubernetes protobuf with one line', () => {
    assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')), /expected prefix \[107 56 115 0\]/);
    assert.throws(() => decodeKubernetesProtobuf(Buffer.from('k8s\0\x0a\xff\xff')), ProtobufError);
    const noKind = Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x12, 0])]);
    assert.throws(() => decodeKubernetesProtobuf(noKind), /Kind' is missing/);
    const wire = encodeKubernetesProtobuf(POD)!;
    assert.throws(() => decodeKubernetesProtobuf(wire.subarray(0, wire.length - 7)), ProtobufError);
  });
});

describe('API server in protobuf', () => {
  let lab: Lab;
  let admin: string;
  before(async () => {
    lab = await startLab({ base: '127.18.0.2', profile: 'default', etcd: 'off', nodes: 1 });
    admin = lab.credentials.admin.token!;
  });
  after(() => lab.stop());

  it('creates a namespace sent in protobuf and answers in protobuf when asked first', async () => {
    const body = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pb' } });
    const r = await call(`${lab.apiServer}/api/v1/namespaces`, {
      method: 'POST',
      token: admin,
      headers: { 'content-type': PROTOBUF, accept: `${PROTOBUF}, application/json` },
      body,
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers['content-type'], PROTOBUF);
    const answer = await rawCall(`${lab.apiServer}/api/v1/namespaces/pb`, admin, `${PROTOBUF}, application/json`);
    const ns = decodeKubernetesProtobuf(answer) as { kind: string; metadata: { name: string; uid: string } };
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.metadata.name, 'pb');
    assert.match(ns.metadata.uid, /^[0-9a-f-]{36}$/);
    const json = await call(`${lab.apiServer}/api/v1/namespaces/pb`, { token: admin });
    assert.equal(json.headers['content-type'], 'application/json', 'JSON stays the default');
  });

  it('answers a protobuf body it cannot decode with 400, and a wrong kind with the real message', async () => {
    const garbage = await call(`${lab.apiServer}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      token: admin,
      headers: { 'content-type': PROTOBUF },
      body: Buffer.from('k8s\0\x0a\xff\xff\xff'),
    });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.json.reason, 'BadRequest');
    assert.match(garbage.json.message, /^unable to decode the protobuf body: /);
    const noMagic = await call(`${lab.apiServer}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      token: admin,
      headers: { 'content-type': PROTOBUF },
      body: '{"kind":"ConfigMap"}',
    });
    assert.equal(noMagic.status, 400);
    const wrongKind = await call(`${lab.apiServer}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      token: admin,
      headers: { 'content-type': PROTOBUF },
      body: encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }),
    });
    assert.equal(wrongKind.status, 400);
    assert.match(wrongKind.json.message, /cannot be handled as a ConfigMap/);
  });

  it('answers 415 for a body in a media type no API server reads', async () => {
    const r = await call(`${lab.apiServer}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      token: admin,
      headers: { 'content-type': 'text/plain' },
      body: 'name=x',
    });
    assert.equal(r.status, 415);
    assert.equal(r.json.reason, 'UnsupportedMediaType');
    assert.match(
      r.json.message,
      /accepted media types include: application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf/,
    );
  });

  it('sends errors in protobuf to a client that prefers it', async () => {
    const answer = await rawCall(`${lab.apiServer}/api/v1/namespaces/nope`, admin, PROTOBUF);
    const s = decodeKubernetesProtobuf(answer) as { kind: string; code: number; reason: string };
    assert.deepEqual([s.kind, s.code, s.reason], ['Status', 404, 'NotFound']);
  });
});

/** The raw bytes of a GET (protobuf answers are not text). */
function rawCall(url: string, token: string, accept: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers: { authorization: `Bearer ${token}`, accept }, rejectUnauthorized: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
      .on('error', reject);
  });
}
