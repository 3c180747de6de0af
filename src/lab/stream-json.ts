import type { ServerResponse } from 'node:http';

/** Bytes gathered before each write of a streamed list. */
const BATCH = 64 * 1024;

/**
 * Sends `{...head, [field]: [items…]}` as the list is serialized, an item at a time, as a real kubelet or API
 * server streams its answer: a node with 100,000 pods starts answering at once and never holds the whole
 * body (the lab used to build a 118 MB string first). Waits for the client to drain; stops when it leaves.
 */
export async function sendJsonList(
  res: ServerResponse,
  status: number,
  head: Record<string, unknown>,
  field: string,
  items: Iterable<unknown>,
  headers: Record<string, string> = {},
): Promise<void> {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  const open = JSON.stringify(head);
  let batch = `${open.slice(0, -1)}${open.length > 2 ? ',' : ''}${JSON.stringify(field)}:[`;
  let first = true;
  for (const item of items) {
    if (res.destroyed) return;
    batch += `${first ? '' : ','}${JSON.stringify(item)}`;
    first = false;
    if (batch.length >= BATCH) {
      const more = res.write(batch);
      batch = '';
      if (!more) await drained(res);
    }
  }
  res.end(`${batch}]}\n`);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
