import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { OpsObject } from '../hunters/ops/objects.js';

// Manifests as `kubeferret check` will read them (issue 17, step 2): YAML or JSON (JSON is YAML), several
// documents a file, `List` kinds (what `kubectl get -o yaml` and `kubectl kustomize` print) opened into
// their items, each object with the line it starts on, so a finding can name file and line (SARIF region).

/** An object of a manifest, where it is. */
export interface ManifestObject extends OpsObject {
  file: string;
  /** 1-based line where the object starts. */
  line: number;
  /**
   * The 1-based line of a field of the object (`['spec', 'replicas']`), or the object's line without it.
   * `within`, a 1-based line inside the field's text (a Corefile's plugin), is followed into a literal
   * block (`|`), whose lines are the text's; in any other style the field's own line is the answer.
   */
  lineOf(path: readonly (string | number)[], within?: number): number;
}

export interface ManifestRead {
  objects: ManifestObject[];
  /** Why the file, or a document of it, was not read: one line each, naming file and line. */
  skipped: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isKubernetes = (v: unknown): v is Record<string, unknown> & { kind: string } =>
  isObject(v) && typeof v.kind === 'string' && typeof v.apiVersion === 'string';

/** The objects of one manifest file's text; what is not Kubernetes YAML is a line in `skipped`. */
export function readManifest(text: string, file: string): ManifestRead {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const objects: ManifestObject[] = [];
  const skipped: string[] = [];
  const place = (node: Node, value: Record<string, unknown> & { kind: string }): ManifestObject => {
    const line = lineAt(node.range?.[0] ?? 0);
    return {
      kind: value.kind,
      item: value as OpsObject['item'],
      file,
      line,
      lineOf(path, within) {
        // The line of the field's key (`livenessProbe:`), not of its value, which may start a line later.
        if (path.length === 0 || !(isMap(node) || isSeq(node))) return line;
        const parent = path.length === 1 ? node : node.getIn(path.slice(0, -1), true);
        const last = path[path.length - 1];
        let at: { range?: [number, number, number] | null } | undefined;
        let value: unknown;
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
          at = pair?.key as Node | undefined;
          value = pair?.value;
        } else if (isSeq(parent) && typeof last === 'number') at = parent.items[last] as Node | undefined;
        // A literal block's text starts on the line after its `|` indicator.
        if (within !== undefined && isScalar(value) && value.type === 'BLOCK_LITERAL' && value.range) {
          return lineAt(value.range[0]) + within;
        }
        return at?.range ? lineAt(at.range[0]) : line;
      },
    };
  };
  // An empty file is an empty stream: no documents, nothing to say.
  for (const doc of docs) {
    const start = lineAt(doc.range[0]);
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      skipped.push(`${file}:${e.linePos?.[0].line ?? start}: not YAML: ${e.message.split('\n')[0].replace(/:$/, '')}`);
      continue;
    }
    const node = doc.contents as Node | null;
    const value: unknown = node === null ? null : doc.toJS({ maxAliasCount: 100 });
    if (node === null || value === null || value === undefined) continue; // an empty document (`---` at the end)
    if (!isKubernetes(value)) {
      skipped.push(`${file}:${start}: not a Kubernetes object (no apiVersion and kind)`);
      continue;
    }
    if (value.kind.endsWith('List') && Array.isArray(value.items)) {
      const items = isMap(node) ? node.get('items', true) : undefined;
      value.items.forEach((item: unknown, i: number) => {
        const itemNode = isSeq(items) ? (items.items[i] as Node | undefined) : undefined;
        if (isKubernetes(item) && itemNode) objects.push(place(itemNode, item));
        else
          skipped.push(
            `${file}:${itemNode ? lineAt(itemNode.range?.[0] ?? 0) : start}: list item ${i} is not a Kubernetes object`,
          );
      });
      continue;
    }
    objects.push(place(node, value));
  }
  return { objects, skipped };
}
