import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request bodies the lab reads are small API objects; anything larger is refused. */
export const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Error(`request body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Plain text the way Go's http.Error writes it. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The path without its query, and the query. */
export function splitUrl(req: IncomingMessage): { path: string; query: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'http://lab');
  return { path: url.pathname, query: url.searchParams };
}

/** Go's http.FileServer directory listing. */
export function directoryListing(names: string[]): string {
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
  const rows = names.map((n) => `<a href="${esc(encodeURI(n))}">${esc(n)}</a>\n`).join('');
  return `<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n${rows}</pre>\n`;
}
