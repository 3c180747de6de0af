import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Conversation, JSON_EXCERPT } from '../../../src/discovery/fingerprint/conversation.js';
import { Network } from '../../../src/net/network.js';
import { Scope } from '../../../src/net/scope.js';
import { Trace } from '../../../src/net/trace.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { discoverTargets, eventsOf, serviceAt } from '../run.js';

// Block 127.126.0.0/16. What a conversation keeps of each answer until the port is classified: a JSON
// body once, parsed; a JSON-looking body that would not parse only as an excerpt, never whole.

const HOST = '127.126.0.2';

// 300 KB of JSON: a Status with a long message, which parses.
const WIDE = JSON.stringify({ kind: 'Status', apiVersion: 'v1', message: 'x'.repeat(300_000) });
// 200,000 levels of arrays: refused before parsing (deeper than 64).
const DEEP = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
// Prometheus text longer than the excerpt: not JSON, so kept whole (its patterns match on any line).
const METRICS = `${'# HELP a_metric A.\n# TYPE a_metric gauge\na_metric 1\n'.repeat(200)}kubernetes_build_info{git_version="v1.30.1"} 1\n`;

describe('a conversation keeps what classifying reads, not every body', () => {
  let server: TestServer;
  let c: Conversation;

  before(async () => {
    server = await startHttpServer(HOST, (req, res) => {
      const body = { '/wide': WIDE, '/deep': DEEP, '/metrics': METRICS }[req.url ?? ''] ?? '{"major":"1","minor":"30"}';
      res.writeHead(200, { 'content-type': req.url === '/metrics' ? 'text/plain' : 'application/json' });
      res.end(body);
    });
    const scope = new Scope();
    scope.addText(HOST);
    const network = new Network({
      scope,
      trace: new Trace(),
      connectTimeoutMs: 1000,
      requestTimeoutMs: 3000,
      maxBodyBytes: 1024 * 1024,
    });
    c = new Conversation(network.for('fingerprint'), HOST, server.port);
    assert.equal(await c.open('/version'), true);
  });
  after(() => server?.close());

  it('a parsed JSON body is held as its parse, its text cut to an excerpt', async () => {
    const a = await c.get('/wide');
    assert.ok(a);
    assert.equal((a.json as { kind: string }).kind, 'Status');
    assert.equal((a.json as { message: string }).message.length, 300_000);
    assert.equal(a.text, WIDE.slice(0, JSON_EXCERPT));
  });

  it('a document too deep to parse is an excerpt only, and no JSON', async () => {
    const a = await c.get('/deep');
    assert.ok(a);
    assert.equal(a.json, undefined);
    assert.equal(a.truncated, false);
    assert.equal(a.text, DEEP.slice(0, JSON_EXCERPT));
    assert.deepEqual(c.unreadable, ['/deep'], 'named as unreadable, and only it');
  });

  it('a text body is kept whole: its last line is still read', async () => {
    const a = await c.get('/metrics');
    assert.ok(a);
    assert.equal(a.text, METRICS);
    assert.equal(a.json, undefined);
  });
});

describe('a port whose every answer is too deep to read', () => {
  // 127.126.1.2: every path answers 200 KB of nested arrays, as a hostile host does.
  let server: TestServer;
  before(async () => {
    server = await startHttpServer('127.126.1.2', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(DEEP);
    });
  });
  after(() => server?.close());

  it('is unknown, and a coverage gap names the answers that were not read', async () => {
    const result = await discoverTargets([server.host], { ports: [server.port] });
    assert.equal(serviceAt(result, server.host, server.port).kind, 'unknown');
    const gaps = eventsOf(result, 'CoverageGap');
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    assert.equal(gaps[0].hunter, 'fingerprint');
    assert.equal(gaps[0].port, server.port);
    assert.equal(gaps[0].reason, 'cap');
    assert.match(
      gaps[0].detail,
      /^GET \/version(, GET \/[^,]*)* answered with JSON that could not be read \(malformed, or nested deeper than 64 levels\)$/,
    );
    assert.deepEqual(result.warnings, []);
  });
});
