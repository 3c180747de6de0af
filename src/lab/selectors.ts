import type { KubeObject } from './store.js';

type Test = (o: KubeObject) => boolean;

function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A label selector (`app=web,tier!=db,env in (a,b),!legacy`); undefined when it does not parse. */
export function labelSelector(text: string): Test | undefined {
  const tests: Test[] = [];
  const labels = (o: KubeObject) => o.metadata.labels ?? {};
  for (const term of splitTerms(text)) {
    const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    const absent = /^!([\w./-]+)$/.exec(term);
    const present = /^([\w./-]+)$/.exec(term);
    if (equality) {
      const [, key, op, value] = equality;
      tests.push(op === '!=' ? (o) => labels(o)[key] !== value : (o) => labels(o)[key] === value);
    } else if (set) {
      const [, key, op, list] = set;
      const values = list.split(',').map((v) => v.trim());
      tests.push(op === 'in' ? (o) => values.includes(labels(o)[key]) : (o) => !values.includes(labels(o)[key]));
    } else if (absent) tests.push((o) => !(absent[1] in labels(o)));
    else if (present) tests.push((o) => present[1] in labels(o));
    else return undefined;
  }
  return (o) => tests.every((t) => t(o));
}

const FIELDS: Record<string, (o: KubeObject) => unknown> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '',
  'spec.serviceAccountName': (o) => (o.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? '',
  'status.phase': (o) => (o.status as { phase?: string } | undefined)?.phase ?? '',
  'status.podIP': (o) => (o.status as { podIP?: string } | undefined)?.podIP ?? '',
  type: (o) => o.type,
};

/** A field selector over the fields the real server indexes; an error message when it names another. */
export function fieldSelector(text: string): Test | string {
  const tests: Test[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) return `invalid selector: '${text}'; can't understand '${term}'`;
    const [, field, op, value] = m;
    const read = FIELDS[field];
    if (!read) return `field label not supported: ${field}`;
    tests.push(op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value);
  }
  return (o) => tests.every((t) => t(o));
}
