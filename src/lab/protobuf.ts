// kubectl's typed clients (`auth can-i`, `auth whoami`, `create token`) send their bodies as Kubernetes
// protobuf. The lab reads the few kinds they send; everything else arrives as JSON.

type Fields = Map<number, (bigint | Buffer)[]>;

function varint(buf: Buffer, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length; i++) {
    value |= BigInt(buf[i] & 0x7f) << shift;
    if ((buf[i] & 0x80) === 0) return [value, i + 1];
    shift += 7n;
  }
  throw new Error('truncated varint');
}

/** The fields of one protobuf message: varints as bigint, length-delimited fields as bytes. */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let at = 0;
  while (at < buf.length) {
    const [tag, next] = varint(buf, at);
    at = next;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value: bigint | Buffer;
    if (wire === 0) [value, at] = varint(buf, at);
    else if (wire === 2) {
      const [len, start] = varint(buf, at);
      value = buf.subarray(start, start + Number(len));
      at = start + Number(len);
    } else if (wire === 1) {
      value = buf.subarray(at, at + 8);
      at += 8;
    } else if (wire === 5) {
      value = buf.subarray(at, at + 4);
      at += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const str = (f: Fields, n: number) => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const strs = (f: Fields, n: number) => (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => b.toString('utf8'));
const msg = (f: Fields, n: number) => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? fields(v) : undefined;
};
const num = (f: Fields, n: number) => {
  const v = f.get(n)?.[0];
  return typeof v === 'bigint' ? Number(v) : undefined;
};

function resourceAttributes(f: Fields | undefined) {
  return (
    f && {
      namespace: str(f, 1),
      verb: str(f, 2),
      group: str(f, 3),
      version: str(f, 4),
      resource: str(f, 5),
      subresource: str(f, 6),
      name: str(f, 7),
    }
  );
}
function nonResourceAttributes(f: Fields | undefined) {
  return f && { path: str(f, 1), verb: str(f, 2) };
}

/** Decodes the spec of a message kind the lab accepts in protobuf (see generated.proto of each API group). */
const SPECS: Record<string, (spec: Fields) => Record<string, unknown>> = {
  SelfSubjectAccessReview: (s) => ({
    resourceAttributes: resourceAttributes(msg(s, 1)),
    nonResourceAttributes: nonResourceAttributes(msg(s, 2)),
  }),
  SubjectAccessReview: (s) => ({
    resourceAttributes: resourceAttributes(msg(s, 1)),
    nonResourceAttributes: nonResourceAttributes(msg(s, 2)),
    user: str(s, 3),
    groups: strs(s, 4),
    uid: str(s, 6),
  }),
  SelfSubjectRulesReview: (s) => ({ namespace: str(s, 1) }),
  TokenReview: (s) => ({ token: str(s, 1), audiences: strs(s, 2) }),
  TokenRequest: (s) => ({ audiences: strs(s, 1), expirationSeconds: num(s, 4) }),
};

const MAGIC = Buffer.from('k8s\0');

/** A Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) as JSON, or an error message. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> | string {
  if (!body.subarray(0, 4).equals(MAGIC)) return 'the body does not start with the Kubernetes protobuf magic number';
  try {
    const unknown = fields(body.subarray(4));
    const typeMeta = msg(unknown, 1);
    const apiVersion = typeMeta && str(typeMeta, 1);
    const kind = typeMeta && str(typeMeta, 2);
    const raw = unknown.get(2)?.[0];
    if (!kind || !Buffer.isBuffer(raw)) return 'the protobuf envelope names no kind';
    const decode = SPECS[kind];
    if (kind === 'SelfSubjectReview') return { apiVersion, kind, metadata: {} };
    if (!decode) return `the lab reads no ${kind} in protobuf; send JSON`;
    const object = fields(raw);
    const spec = msg(object, 2);
    return { apiVersion, kind, metadata: {}, spec: spec ? decode(spec) : {} };
  } catch (err) {
    return (err as Error).message;
  }
}
