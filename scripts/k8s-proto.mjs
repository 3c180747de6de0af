// Regenerates src/lab/proto/kubernetes.json, the protobuf schema of the built-in types the lab serves, and
// src/lab/proto/openapiv2.json, the schema of OpenAPI v2 documents in protobuf (google/gnostic-models'
// OpenAPIv2.proto, Apache-2.0), which kubectl asks /openapi/v2 for.
//
// The schema is the one Kubernetes publishes as generated.proto in k8s.io/api and k8s.io/apimachinery
// (Apache-2.0). Those definitions are compiled into every Go client as gzipped FileDescriptorProtos; this
// script reads them from the kubectl binary given (or the one on PATH), keeps the files the lab needs and
// writes them as a protobufjs JSON root. Usage: node scripts/k8s-proto.mjs [path/to/kubectl]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { constants, inflateRawSync } from 'node:zlib';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor.js';

const FILES = [
  'k8s.io/apimachinery/pkg/runtime/schema/generated.proto',
  'k8s.io/apimachinery/pkg/runtime/generated.proto',
  'k8s.io/apimachinery/pkg/api/resource/generated.proto',
  'k8s.io/apimachinery/pkg/util/intstr/generated.proto',
  'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto',
  ...[
    'core/v1',
    'apps/v1',
    'batch/v1',
    'batch/v1beta1',
    'rbac/v1',
    'networking/v1',
    'authorization/v1',
    'authentication/v1',
    'storage/v1',
    'policy/v1',
    'policy/v1beta1',
    'coordination/v1',
    'discovery/v1',
    'discovery/v1beta1',
    'events/v1',
    'certificates/v1',
    'scheduling/v1',
    'autoscaling/v1',
    'autoscaling/v2',
    'admissionregistration/v1',
  ].map((gv) => `k8s.io/api/${gv}/generated.proto`),
];

const kubectl = process.argv[2] ?? execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim();
const binary = readFileSync(kubectl);
const version = execFileSync(kubectl, ['version', '--client', '-o', 'json']).toString();
const found = new Map();
const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
for (let at = binary.indexOf(gzip); at >= 0; at = binary.indexOf(gzip, at + 1)) {
  let file;
  try {
    // One gzip member: its 10-byte header, then a raw deflate stream (the next member is not read).
    file = inflateRawSync(binary.subarray(at + 10, at + 1_000_000), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    continue;
  }
  if (file[0] !== 0x0a) continue;
  const name = file.subarray(2, 2 + file[1]).toString('latin1');
  if (FILES.includes(name)) found.set(name, file);
}
const missing = FILES.filter((f) => !found.has(f));
if (missing.length) throw new Error(`not in ${kubectl}: ${missing.join(', ')}`);

// A FileDescriptorSet is `repeated FileDescriptorProto file = 1`.
const parts = [];
for (const name of FILES) {
  const file = found.get(name);
  const writer = protobuf.Writer.create();
  writer.uint32(10).bytes(file);
  parts.push(writer.finish());
}
const root = protobuf.Root.fromDescriptor(Buffer.concat(parts), { keepCase: true });
const out = {
  source: `generated.proto of ${FILES.length} files from k8s.io/api and k8s.io/apimachinery (Apache-2.0), read from the descriptors compiled into kubectl ${JSON.parse(version).clientVersion.gitVersion}`,
  files: FILES,
  nested: root.toJSON().nested,
};
writeFileSync(new URL('../src/lab/proto/kubernetes.json', import.meta.url), `${JSON.stringify(out)}\n`);
console.log(`wrote src/lab/proto/kubernetes.json (${FILES.length} files)`);

/**
 * A descriptor compiled in uncompressed (google.golang.org/protobuf keeps them raw): it starts with its file
 * name and ends where the bytes stop being FileDescriptorProto fields.
 */
function rawDescriptor(name) {
  const start = binary.indexOf(Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]));
  if (start < 0) throw new Error(`${name} is not in ${kubectl}`);
  const reader = protobuf.Reader.create(binary.subarray(start, start + 1_000_000));
  let end = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    const valid = field >= 1 && field <= 14 && (wire === 2 || (wire === 0 && field >= 10));
    if (!valid) break;
    reader.skipType(wire);
    end = reader.pos;
  }
  return binary.subarray(start, start + end);
}
const gnostic = ['google/protobuf/any.proto', 'openapiv2/OpenAPIv2.proto'].map((name) => {
  const writer = protobuf.Writer.create();
  writer.uint32(10).bytes(rawDescriptor(name));
  return writer.finish();
});
const openapi = protobuf.Root.fromDescriptor(Buffer.concat(gnostic), { keepCase: true });
const openapiOut = {
  source: `openapiv2/OpenAPIv2.proto of github.com/google/gnostic-models (Apache-2.0), read from the descriptors compiled into kubectl ${JSON.parse(version).clientVersion.gitVersion}`,
  nested: openapi.toJSON().nested,
};
writeFileSync(new URL('../src/lab/proto/openapiv2.json', import.meta.url), `${JSON.stringify(openapiOut)}\n`);
console.log('wrote src/lab/proto/openapiv2.json');
