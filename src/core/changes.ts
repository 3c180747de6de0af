/**
 * A change an active hunter made to a target (an object created, a key written) and whether it was undone.
 * Active hunting journals each change before making it; the report lists every one.
 */
export interface Change {
  id: string;
  /** The hunter that made it. */
  hunter: string;
  /** The identity that was able to make it (a Credential name, `anonymous`, `insecure-port`, …). */
  identity?: string;
  /** What was done, in a few words: `create clusterrole kubeferret-3f9a`, `put etcd key /kubeferret/3f9a`. */
  action: string;
  /** Where: the URL or key concerned. */
  target: string;
  time: string;
  /** How it is undone, in a few words: `delete clusterrole kubeferret-3f9a`. */
  undo: string;
  undone: boolean;
  /** Why undoing failed, one line, when it did. */
  undoError?: string;
}
