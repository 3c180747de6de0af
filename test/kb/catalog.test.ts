import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HUNTERS } from '../../src/hunters/index.js';
import { catalogFiles, checksTable, replaceSection, sameTables } from '../../src/kb/catalog.js';
import { BUNDLED_CVE_FILE, useCveFile } from '../../src/kb/cve-data.js';
import { knowledgeBase } from '../../src/kb/index.js';

useCveFile(BUNDLED_CVE_FILE);

describe('generated README tables', () => {
  for (const [path, render] of catalogFiles(HUNTERS)) {
    it(`${path.split('/').slice(-3).join('/')} is current (else run npm run kb:catalog)`, () => {
      const text = readFileSync(path, 'utf8');
      assert.ok(sameTables(render(text), text), 'the tables match the knowledge base');
    });
  }

  it('lists every entry in the Checks table, and says which hunter reports it', () => {
    const table = checksTable(HUNTERS);
    for (const e of knowledgeBase().values()) if (e.kind !== 'cve') assert.ok(table.includes(`\`${e.id}\``), e.id);
    assert.match(table, /\| `KF-CVE-001` \| .* \| `cve-versions` \|/);
    assert.match(table, /\| `KF-KUBELET-001` \| .* \| KHV036 \| `kubelet-access` \|/);
  });

  it('names a hunter as soon as it declares the id in `reports`', () => {
    assert.match(checksTable([]), /\| `KF-KUBELET-001` \| .* \| KHV036 \| not yet \|/);
    const table = checksTable([{ ...HUNTERS[0], id: 'kubelet-anonymous', reports: ['KF-KUBELET-001'] }]);
    assert.match(table, /\| `KF-KUBELET-001` \| .* \| KHV036 \| `kubelet-anonymous` \|/);
  });

  it('compares tables regardless of alignment, but not of content', () => {
    assert.ok(sameTables('| a | b |\n| --- | --- |\n| 1 | 2 |', '| a   | b |\n| --- | - |\n| 1   | 2 |'));
    assert.ok(!sameTables('| a | b |\n| 1 | 2 |', '| a | b |\n| 1 | 3 |'));
  });

  it('refuses a file without the section markers', () => {
    assert.throws(() => replaceSection('no markers', 'kb:checks', 'x'), /no <!-- kb:checks:start -->/);
    assert.equal(
      replaceSection('a <!-- s:start -->old<!-- s:end --> b', 's', 'new'),
      'a <!-- s:start -->\nnew\n<!-- s:end --> b',
    );
  });
});
