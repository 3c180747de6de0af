import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../src/core/errors.js';
import { lookupEntry } from '../../src/kb/index.js';
import { render } from '../../src/report/formats.js';
import { parseReport } from '../../src/report/load.js';
import { buildReport } from '../../src/report/model.js';
import { type Report, reportJsonSchema } from '../../src/report/schema.js';
import type { HuntResult } from '../../src/run/hunt.js';
import { type Fixture, KB_ID, startFixture } from './hunt-fixture.js';
import { reportSchemaFile, reportValidator, sarifValidator } from './validators.js';

// This file's loopback block: 127.31.0.0/16.
let fx: Fixture;
let result: HuntResult;
let report: Report;
const opts = { color: false, quiet: false };

before(async () => {
  fx = await startFixture('127.31');
  result = await fx.hunt();
  report = buildReport(result);
});
after(() => fx.close());

describe('report model', () => {
  it('validates against the published JSON Schema, which is up to date with the model', () => {
    assert.deepEqual(
      reportSchemaFile(),
      JSON.parse(JSON.stringify(reportJsonSchema())),
      'run scripts/report-schema.ts',
    );
    const json = JSON.parse(render('json', report, opts));
    assert.equal(reportValidator()(json), undefined);
    assert.equal(json.reportVersion, 1);
    assert.match(json.$schema, /^urn:kubeferret:report:1$/);
  });

  it('the schema rejects what is not a report', () => {
    const validate = reportValidator();
    const json = JSON.parse(render('json', report, opts));
    assert.notEqual(validate({ ...json, findings: [{ kb: 'x' }] }), undefined);
    assert.notEqual(validate({ ...json, extra: 1 }), undefined);
  });

  it('describes the scan: vantage points, identities by name only, scope, options', () => {
    const { scan } = report;
    assert.equal(scan.mode, 'passive');
    assert.deepEqual(scan.vantagePoints, ['remote', 'identity']);
    assert.deepEqual(
      scan.identities.map((i) => `${i.name}/${i.source}`),
      ['dev/token', 'ops/kubeconfig', 'found:default/db/found'],
    );
    assert.deepEqual(scan.targets, [
      `${fx.apiserver.host}:${fx.apiserver.port}`,
      `${fx.kubelet.host}:${fx.kubelet.port}`,
    ]);
    assert.ok(scan.scope.length >= 2);
    assert.equal(scan.options.failOn, 'high');
    assert.ok(Date.parse(scan.endedAt) >= Date.parse(scan.startedAt));
  });

  it('lists hosts with their services, versions and certificate summaries', () => {
    assert.deepEqual(
      report.hosts.map((h) => h.address),
      [fx.apiserver.host, fx.kubelet.host],
    );
    const [api, kubelet] = report.hosts;
    assert.deepEqual(api.openPorts, [fx.apiserver.port]);
    assert.equal(api.services[0].kind, 'apiserver');
    assert.equal(api.services[0].scheme, 'https');
    assert.equal(api.services[0].version, 'v1.29.3');
    assert.deepEqual(api.services[0].cert?.emails.sort(), ['admin@example.test', 'ops@example.test']);
    assert.equal(api.services[0].cert?.selfSigned, true);
    assert.equal(kubelet.services[0].kind, 'kubelet');
    assert.equal(kubelet.services[0].cert, undefined);
  });

  it('gives each finding its knowledge-base entry, severity, location and provenance chain', () => {
    const entry = lookupEntry(KB_ID)[0];
    assert.equal(report.findings.length, 3);
    assert.deepEqual(
      report.findings.map((f) => f.severity),
      ['critical', 'high', 'low'],
    );
    for (const f of report.findings) {
      assert.equal(f.kb, KB_ID);
      assert.equal(f.title, entry.title);
      assert.equal(f.category, entry.category);
      assert.deepEqual(f.aliases.khv, entry.aliases.khv);
      assert.equal(f.remediation, entry.remediation);
      assert.match(f.fingerprint, /^[0-9a-f]{32}$/);
      assert.equal(f.chain[0].kind, 'port');
      assert.equal(f.chain.at(-1)?.kind, 'finding');
    }
    const [secrets, run, cert] = report.findings;
    assert.equal(secrets.location, `${fx.apiserver.host}:${fx.apiserver.port}/api/v1/secrets`);
    assert.equal(secrets.identity, 'dev');
    assert.deepEqual(
      secrets.chain.map((s) => s.label),
      [
        `open ${fx.apiserver.port}`,
        'apiserver v1.29.3',
        'identity dev',
        'dev: get secrets, list pods allowed',
        entry.title,
      ],
    );
    assert.deepEqual(
      run.chain.map((s) => s.label),
      [`open ${fx.kubelet.port}`, 'kubelet (anonymous)', entry.title],
    );
    assert.equal(cert.evidence, 'certificate names admin@example.test, ops@example.test');
    assert.equal(run.hunterTitle, 'Test kubelet run');
  });

  it('keeps fingerprints stable across runs, whatever the event ids, times and order', async () => {
    const again = buildReport(await fx.hunt());
    assert.deepEqual(again.findings.map((f) => f.fingerprint).sort(), report.findings.map((f) => f.fingerprint).sort());
  });

  it('draws the attack graph from the provenance: hosts, services, identities, findings', () => {
    const ids = new Set(report.graph.nodes.map((n) => n.id));
    for (const h of report.hosts) assert.ok(ids.has(`host:${h.address}`));
    for (const f of report.findings) {
      assert.ok(ids.has(`finding:${f.fingerprint}`));
      for (const step of f.chain) assert.ok(ids.has(step.node), step.node);
    }
    for (const e of report.graph.edges) assert.ok(ids.has(e.from) && ids.has(e.to));
    assert.ok(
      report.graph.edges.some(
        (e) => e.from === `host:${fx.kubelet.host}` && e.to === `service:${fx.kubelet.host}:${fx.kubelet.port}`,
      ),
    );
  });

  it('compares identities side by side, lists what was not contacted, problems, statistics and the trace', () => {
    assert.deepEqual(report.access.identities, ['anonymous', 'dev', 'ops']);
    const secrets = report.access.rows.find((r) => r.check === 'get secrets');
    assert.deepEqual(secrets?.allowed, { anonymous: false, dev: true, ops: false });
    assert.deepEqual(
      report.notContacted.map((n) => [n.address, n.reason]),
      [[fx.outside, 'out of scope']],
    );
    assert.deepEqual(report.problems.map((p) => p.kind).sort(), ['error', 'warning']);
    assert.equal(report.stats.hosts, 2);
    assert.equal(report.stats.services, 2);
    assert.equal(report.stats.errors, 1);
    assert.equal(report.stats.refused, 1);
    assert.deepEqual(report.stats.findings, { info: 0, low: 1, medium: 0, high: 1, critical: 1 });
    assert.equal(report.trace.requests, result.trace.counts.requests);
    assert.equal(report.trace.byHunter['test-kubelet-run'], 1);
    assert.equal(
      Object.values(report.trace.byHost).reduce((a, b) => a + b, 0),
      report.trace.requests,
    );
    assert.ok(report.stats.huntersRun.includes('test-secrets-reader'));
  });
});

describe('renderings', () => {
  it('SARIF validates against the official SARIF 2.1.0 schema, with rules, fingerprints and relative locations', () => {
    const sarif = JSON.parse(render('sarif', report, opts));
    assert.equal(sarifValidator()(sarif), undefined);
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.rules.length, 1);
    const rule = run.tool.driver.rules[0];
    assert.equal(rule.id, KB_ID);
    assert.equal(rule.properties['security-severity'], '9.5');
    assert.match(rule.help.text, /Remediation: /);
    assert.equal(run.results.length, 3);
    for (const r of run.results) {
      assert.match(r.partialFingerprints['kubeferret/v1'], /^[0-9a-f]{32}$/);
      const uri: string = r.locations[0].physicalLocation.artifactLocation.uri;
      assert.doesNotMatch(uri, /^[a-z]+:/, 'GitHub rejects URI schemes in artifact locations');
      assert.match(uri, /^kubeferret\//);
    }
    assert.deepEqual(
      run.results.map((r: { level: string }) => r.level),
      ['error', 'error', 'note'],
    );
  });

  it('sets a defence that held apart in every format: its own Markdown section, HELD in the table, a SARIF pass, no kube-hunter vulnerability', () => {
    const entry = lookupEntry('KF-API-202')[0];
    const held = {
      ...report.findings[0],
      fingerprint: 'f'.repeat(32),
      kb: 'KF-API-202',
      title: entry.title,
      severity: 'info' as const,
      evidence: 'GET /api/v1/namespaces without credentials → 401 Unauthorized',
      defence: true,
    };
    const withDefence: Report = { ...report, findings: [...report.findings, held] };
    const json = JSON.parse(render('json', withDefence, opts));
    assert.equal(reportValidator()(json), undefined);
    const md = render('markdown', withDefence, opts);
    const section = md.indexOf('### Defences that held');
    assert.ok(section > 0, md);
    assert.match(
      md.slice(section),
      /- \*\*Anonymous requests refused on the secure port\*\* \(KF-API-202\) — .*401 Unauthorized/,
    );
    assert.doesNotMatch(md.slice(0, section), /KF-API-202/);
    assert.match(render('table', withDefence, opts), /\n {2}HELD\n {4}KF-API-202 Anonymous requests refused/);
    const sarif = JSON.parse(render('sarif', withDefence, opts));
    assert.equal(sarifValidator()(sarif), undefined);
    const pass = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'KF-API-202');
    assert.deepEqual([pass.kind, pass.level], ['pass', 'none']);
    const kh = JSON.parse(render('kube-hunter', withDefence, opts));
    assert.equal(kh.vulnerabilities.length, 3, 'the defence is no vulnerability');
  });

  it('YAML parses back equal to the JSON', () => {
    assert.deepEqual(parseYaml(render('yaml', report, opts)), JSON.parse(render('json', report, opts)));
  });

  it("kube-hunter JSON has kube-hunter's shape and spelling", () => {
    const kh = JSON.parse(render('kube-hunter', report, opts));
    assert.deepEqual(Object.keys(kh), ['nodes', 'services', 'vulnerabilities']);
    assert.deepEqual(kh.nodes[0], { type: 'Node/Master', location: fx.apiserver.host });
    assert.deepEqual(
      kh.services.map((s: { service: string }) => s.service),
      ['API Server', 'Kubelet API'],
    );
    assert.equal(kh.services[1].location, `${fx.kubelet.host}:${fx.kubelet.port}`);
    for (const v of kh.vulnerabilities) {
      assert.deepEqual(Object.keys(v), [
        'location',
        'vid',
        'category',
        'severity',
        'vulnerability',
        'description',
        'evidence',
        'avd_reference',
        'hunter',
      ]);
      assert.ok(['low', 'medium', 'high'].includes(v.severity));
      assert.equal(v.vid, 'KHV021');
      assert.equal(v.avd_reference, 'https://avd.aquasec.com/kube-hunter/khv021/');
      assert.equal(v.category, 'Information Disclosure');
    }
    assert.equal(kh.vulnerabilities[1].location, `${fx.kubelet.host}:${fx.kubelet.port}`);
    assert.equal(kh.vulnerabilities[1].hunter, 'Test kubelet run');
  });

  it('markdown has the summary, a findings table and a details block per finding', () => {
    const md = render('markdown', report, opts);
    assert.match(
      md,
      /^## kubeferret: 3 findings: 1 critical, 1 high, 0 medium, 1 low, 0 info · incomplete: 2 not fully examined\n/,
    );
    assert.match(md, /\| Severity \| ID \| Finding \| Location \|/);
    assert.equal((md.match(/<details>/g) ?? []).length, 3);
    assert.match(md, /\*\*Chain:\*\* open \d+ → kubelet \(anonymous\) → /);
    assert.match(md, /### Identities compared/);
  });

  it('the table, markdown and HTML state the same statistics, timeouts and duration included', () => {
    const line = `${report.stats.hosts} hosts, ${report.stats.openPorts} open ports, ${report.stats.services} services, ${report.stats.portsProbed} ports probed, ${report.stats.requests} requests, ${report.stats.huntersRun.length} hunters run, ${report.stats.errors} errors, ${report.stats.timeouts} timeouts, ${report.stats.gaps} not fully examined, ${(report.stats.durationMs / 1000).toFixed(1)} s`;
    for (const format of ['table', 'markdown', 'html'] as const) {
      assert.ok(render(format, report, opts).includes(line), `${format} states: ${line}`);
    }
  });

  it('markdown and the table neutralise markup and control sequences a target sent', async () => {
    const hostile = {
      ...report,
      findings: report.findings.map((f, i) =>
        i === 0
          ? {
              ...f,
              evidence: 'a | b <img src=x onerror=alert(1)> \x1b[31mred\x1b[0m ```',
              location: '<img src=x> | `x`',
            }
          : f,
      ),
    };
    const md = render('markdown', hostile, opts);
    // Inside a fenced block the text is shown, not interpreted; outside one it must be escaped.
    const outsideFences = md.replace(/```text\n[\s\S]*?\n```/g, '');
    assert.match(md, /```text\na \| b <img/);
    assert.doesNotMatch(outsideFences, /<img|```/);
    assert.doesNotMatch(md, /\x1b/);
    const table = render('table', hostile, { color: false, quiet: false });
    assert.doesNotMatch(table, /\x1b/);
    const html = render('html', hostile, opts);
    assert.doesNotMatch(html, /<img/);
  });

  it('the table groups by host and severity with the chain under each finding, and a summary last', () => {
    const plain = render('table', report, { color: false, quiet: false });
    assert.doesNotMatch(plain, /\x1b\[/);
    const lines = plain.trimEnd().split('\n');
    assert.equal(
      lines.at(-1),
      '3 findings: 1 critical, 1 high, 0 medium, 1 low, 0 info · incomplete: 2 not fully examined',
    );
    const apiAt = lines.indexOf(`${fx.apiserver.host}  open: ${fx.apiserver.port}`);
    const kubeletAt = lines.indexOf(`${fx.kubelet.host}  open: ${fx.kubelet.port}`);
    assert.ok(apiAt >= 0 && kubeletAt > apiAt, plain);
    assert.ok(lines.indexOf('  CRITICAL') > apiAt && lines.indexOf('  LOW') > lines.indexOf('  CRITICAL'));
    assert.ok(lines.some((l) => /^ {6}open \d+ → kubelet \(anonymous\) → /.test(l)));
    assert.match(plain, /audit trail: no trace file .* \d+ requests, 1 refused/);
    const coloured = render('table', report, { color: true, quiet: false });
    assert.match(coloured, /\x1b\[/);
    assert.equal(render('table', report, { color: false, quiet: true }), `${lines.at(-1)}\n`);
  });

  it('a saved JSON report renders every format exactly like the hunt did', () => {
    const saved = parseReport(render('json', report, opts), 'saved.json');
    for (const format of ['table', 'sarif', 'html', 'markdown', 'kube-hunter', 'yaml'] as const) {
      assert.equal(render(format, saved, opts), render(format, report, opts), format);
    }
  });

  it('refuses a broken, foreign or newer report file in one line', () => {
    const json = JSON.parse(render('json', report, opts));
    const cases: [string, RegExp][] = [
      ['{not json', /^x\.json is not JSON/],
      ['{"runs": []}', /^x\.json is not a kubeferret report/],
      [JSON.stringify({ ...json, reportVersion: 2 }), /version 2; this kubeferret reads version 1$/],
      [JSON.stringify({ ...json, hosts: 'none' }), /^x\.json is not a valid kubeferret report: hosts: /],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseReport(text, 'x.json'),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && !err.message.includes('\n'),
      );
    }
  });
});

describe('coverage: what was not examined fully', () => {
  it('the model lists each gap, from a hunter (ctx.gap) and from a hunter that threw, secrets redacted', () => {
    assert.equal(report.stats.gaps, 2);
    assert.deepEqual(
      report.coverage.map((g) => [g.hunter, g.hunterTitle, g.host, g.port, g.subject, g.reason]),
      [
        [
          'test-broken',
          'Test hunter that fails',
          fx.apiserver.host,
          undefined,
          `ops@${fx.apiserver.host}:${fx.apiserver.port}`,
          'error',
        ],
        ['test-kubelet-run', 'Test kubelet run', fx.kubelet.host, fx.kubelet.port, '/pods', 'cap'],
      ],
    );
    const cap = report.coverage[1];
    assert.match(cap.detail, /^GET \/pods\?token=\[redacted .*\] cut at 1 MiB after 3 pods$/);
    assert.match(report.coverage[0].detail, /^cannot log in as ops with password \[redacted /);
  });

  it('table, Markdown and HTML have a "Not fully examined" section; the summary says the run is incomplete', () => {
    const table = render('table', report, opts);
    assert.match(table, /\nnot fully examined \(2\)\n/);
    assert.match(table, /\n {2}\S+:\d+ \/pods \(cap, test-kubelet-run\): GET \/pods\?token=\[redacted /);
    const md = render('markdown', report, opts);
    assert.match(md, /### Not fully examined\n\n\| Where \| What \| Reason \| Hunter \| Detail \|/);
    assert.match(md, /\| \/pods \| cap: an answer was cut at its size cap \| Test kubelet run \|/);
    const html = render('html', report, opts);
    assert.match(html, /<h2>Not fully examined<\/h2><table id="coverage">/);
    assert.equal((html.match(/<tr data-reason="/g) ?? []).length, 2);
    for (const text of [table, md, html]) assert.match(text, /incomplete: 2 not fully examined/);
  });

  it('a complete run has no section and no "incomplete" in its summary', () => {
    const clean: Report = { ...report, coverage: [], stats: { ...report.stats, gaps: 0 } };
    for (const format of ['table', 'markdown', 'html'] as const) {
      const text = render(format, clean, opts);
      assert.doesNotMatch(text, /not fully examined \(|Not fully examined<|### Not fully examined|incomplete:/i);
    }
    const sarif = JSON.parse(render('sarif', clean, opts));
    assert.equal(sarif.runs[0].properties.complete, true);
    assert.equal(sarif.runs[0].tool.driver.notifications, undefined);
  });

  it('SARIF carries each gap as a tool execution notification with a reason descriptor, valid 2.1.0', () => {
    const sarif = JSON.parse(render('sarif', report, opts));
    assert.equal(sarifValidator()(sarif), undefined);
    const run = sarif.runs[0];
    assert.equal(run.properties.complete, false);
    assert.deepEqual(
      run.tool.driver.notifications.map((d: { id: string }) => d.id),
      ['coverage/cap', 'coverage/error'],
    );
    const notes = run.invocations[0].toolExecutionNotifications.filter((n: { descriptor?: { id: string } }) =>
      n.descriptor?.id.startsWith('coverage/'),
    );
    assert.equal(notes.length, 2);
    const cap = notes.find((n: { descriptor: { id: string } }) => n.descriptor.id === 'coverage/cap');
    assert.equal(cap.level, 'warning');
    assert.equal(cap.descriptor.index, 0);
    assert.equal(cap.locations[0].logicalLocations[0].name, `${fx.kubelet.host}:${fx.kubelet.port}`);
    assert.deepEqual(cap.properties, {
      hunter: 'test-kubelet-run',
      subject: '/pods',
      reason: 'cap',
      host: fx.kubelet.host,
      port: fx.kubelet.port,
    });
  });

  it('JSON and YAML carry coverage; a saved report reads back with it; an older one without it reads as none', () => {
    const json = render('json', report, opts);
    assert.deepEqual(JSON.parse(json).coverage, report.coverage);
    assert.deepEqual(parseYaml(render('yaml', report, opts)).coverage, report.coverage);
    assert.deepEqual(parseReport(json, 'saved.json').coverage, report.coverage);
    const { coverage: _c, ...older } = JSON.parse(json);
    delete older.stats.gaps;
    const read = parseReport(JSON.stringify(older), 'older.json');
    assert.deepEqual(read.coverage, []);
    assert.equal(read.stats.gaps, 0);
    const bad = { ...JSON.parse(json), coverage: [{ ...report.coverage[0], reason: 'lazy' }] };
    assert.throws(
      () => parseReport(JSON.stringify(bad), 'bad.json'),
      /bad\.json is not a valid kubeferret report: coverage\.0\.reason/,
    );
  });
});
