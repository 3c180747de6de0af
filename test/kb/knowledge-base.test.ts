import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';
import { parse } from 'yaml';
import { BUNDLED_CVE_FILE, cveDatabase, useCveFile } from '../../src/kb/cve-data.js';
import { entryOf, knowledgeBase, lookupEntry, severityOf } from '../../src/kb/index.js';
import { kbEntrySchema } from '../../src/kb/schema.js';

useCveFile(BUNDLED_CVE_FILE);
const DATA_DIR = new URL('../../src/kb/data/', import.meta.url);
const all = [...knowledgeBase().values()];
const entries = all.filter((e) => e.kind !== 'cve');
const cves = cveDatabase().file.cves;

/** Every vulnerability id kube-hunter documented in docs/_kb (KHV002–KHV053; 008–019, 035 and 048 never existed). */
const KHV_DOCUMENTED = [
  'KHV002',
  'KHV003',
  'KHV004',
  'KHV005',
  'KHV006',
  'KHV007',
  'KHV020',
  'KHV021',
  'KHV022',
  'KHV023',
  'KHV024',
  'KHV025',
  'KHV026',
  'KHV027',
  'KHV028',
  'KHV029',
  'KHV030',
  'KHV031',
  'KHV032',
  'KHV033',
  'KHV034',
  'KHV036',
  'KHV037',
  'KHV038',
  'KHV039',
  'KHV040',
  'KHV041',
  'KHV042',
  'KHV043',
  'KHV044',
  'KHV045',
  'KHV046',
  'KHV047',
  'KHV049',
  'KHV050',
  'KHV051',
  'KHV052',
  'KHV053',
];

/** A KHV id kubeferret deliberately does not cover, with the reason. None today; add here, never silently. */
const KHV_NOT_APPLICABLE: Record<string, string> = {};

/** The ATT&CK techniques the entries use (checked against attack.mitre.org), to catch typos. */
const KNOWN_TECHNIQUES = new Set([
  'T1046',
  'T1068',
  'T1069',
  'T1078',
  'T1078.001',
  'T1078.004',
  'T1098.006',
  'T1110',
  'T1133',
  'T1499',
  'T1528',
  'T1552.001',
  'T1552.005',
  'T1552.007',
  'T1557.002',
  'T1609',
  'T1610',
  'T1611',
  'T1613',
]);

function cvssBand(score: number): string {
  if (score === 0) return 'info';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

describe('knowledge base', () => {
  it('loads every entry file, and every entry validates on its own', () => {
    let count = 0;
    for (const file of readdirSync(DATA_DIR).filter((f) => f.endsWith('.yaml'))) {
      const raw = parse(readFileSync(new URL(file, DATA_DIR), 'utf8')) as unknown[];
      for (const item of raw) {
        const result = kbEntrySchema.safeParse(item);
        assert.ok(result.success, `${file}: ${JSON.stringify(result.error?.issues[0])}`);
        count++;
      }
    }
    assert.equal(entries.length, count, 'every entry is loaded once: ids are unique');
    assert.ok(count >= 70, `a catalog, not a sample: ${count}`);
  });

  it('keeps KF ids and CVE ids apart and unique', () => {
    const ids = all.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(all.length, entries.length + cves.length);
  });

  it('numbers proofs from 101, defences from 201, and has each proof follow weaknesses that exist', () => {
    for (const e of entries) {
      const n = Number(e.id.slice(-3));
      if (e.kind === 'defence') {
        assert.ok(n >= 201, `${e.id} is a defence, numbered from 201`);
        assert.equal(e.severity, 'info', `${e.id}: a defence that held is info`);
      } else if (e.kind === 'proof') {
        assert.ok(n >= 101 && n < 200, `${e.id} is a proof`);
        for (const f of e.follows) {
          assert.ok(entryOf(f), `${e.id} follows unknown ${f}`);
          assert.notEqual(entryOf(f)?.kind, 'proof', `${e.id} follows a weakness, not another proof (${f})`);
        }
      } else {
        assert.ok(n < 100, `${e.id} is not a proof, so it is numbered below 100`);
      }
    }
  });

  it('names the component in the id of every entry of one component consistently', () => {
    const byPrefix = new Map<string, Set<string>>();
    for (const e of entries) {
      const prefix = e.id.split('-')[1];
      byPrefix.set(prefix, (byPrefix.get(prefix) ?? new Set()).add(e.component));
    }
    for (const [prefix, components] of byPrefix) assert.equal(components.size, 1, `KF-${prefix}-*: ${[...components]}`);
  });

  it('covers every kube-hunter vulnerability id, or says why not', () => {
    const covered = new Set(all.flatMap((e) => e.aliases.khv));
    for (const khv of KHV_DOCUMENTED) {
      assert.ok(covered.has(khv) || KHV_NOT_APPLICABLE[khv], `${khv} has no entry and no reason`);
    }
    for (const khv of covered) assert.ok(KHV_DOCUMENTED.includes(khv), `${khv} is not a documented kube-hunter id`);
  });

  it('uses known ATT&CK technique ids and official https references', () => {
    for (const e of all) {
      for (const t of e.aliases.mitre) assert.ok(KNOWN_TECHNIQUES.has(t), `${e.id}: unknown technique ${t}`);
      assert.ok(e.references.length > 0, `${e.id} has references`);
      for (const r of e.references) assert.match(r, /^https:\/\//, `${e.id}: ${r}`);
    }
  });
});

describe('CVE data', () => {
  it('includes every CVE kube-hunter checked, under its KHV id where it had one', () => {
    const expected: Record<string, string | undefined> = {
      'CVE-2018-1002105': 'KHV022',
      'CVE-2019-1002100': 'KHV023',
      'CVE-2019-9512': 'KHV024',
      'CVE-2019-9514': 'KHV025',
      'CVE-2019-11247': 'KHV026',
      'CVE-2019-11246': 'KHV027',
      'CVE-2019-1002101': 'KHV028',
      'CVE-2019-11253': undefined,
    };
    for (const [id, khv] of Object.entries(expected)) {
      const cve = cves.find((c) => c.id === id);
      assert.ok(cve, `${id} is in the data`);
      if (khv) assert.deepEqual(cve.aliases.khv, [khv]);
    }
    assert.ok(cves.length >= 60, `${cves.length} CVEs`);
  });

  it('rates each CVE in the band of its published CVSS score', () => {
    for (const c of cves) if (c.cvss) assert.equal(c.severity, cvssBand(c.cvss.score), `${c.id} ${c.cvss.score}`);
  });

  it('has sorted, non-overlapping ranges, each ending in a fixed version, from a cited source', () => {
    for (const c of cves) {
      for (let i = 1; i < c.affected.length; i++) {
        const previous = c.affected[i - 1];
        const current = c.affected[i];
        assert.ok(current.introduced, `${c.id}: only the first range may be open below`);
        assert.ok(
          semver.lte(previous.fixed, current.introduced),
          `${c.id}: ${previous.fixed} overlaps ${current.introduced}`,
        );
      }
      assert.ok(c.references.includes(c.source), `${c.id}: the source of its ranges is among its references`);
    }
  });

  it('lists what it leaves out with a reason, and leaves those out', () => {
    const file = cveDatabase().file;
    assert.ok(file.excluded.length > 0);
    for (const x of file.excluded) assert.ok(!cves.some((c) => c.id === x.id), `${x.id} is both in and out`);
    for (const id of ['CVE-2020-8554', 'CVE-2021-25740', 'CVE-2025-1767']) {
      assert.match(file.excluded.find((x) => x.id === id)?.reason ?? '', /No fixed version/);
    }
  });
});

describe('one lookup for KF ids, CVE ids, KHV and ATT&CK aliases', () => {
  it('finds an entry by KF id, any case', () => {
    assert.equal(lookupEntry('kf-kubelet-001')[0].id, 'KF-KUBELET-001');
    assert.equal(lookupEntry(' KF-ETCD-003 ')[0].title, 'etcd keys readable without authentication');
  });

  it('finds a CVE by id as an entry of kind cve', () => {
    const [e] = lookupEntry('cve-2021-25741');
    assert.equal(e.kind, 'cve');
    assert.equal(e.severity, 'high');
    assert.match(e.remediation, /1\.19\.15, 1\.20\.11, 1\.21\.5, 1\.22\.2/);
    assert.equal(e.cve?.id, 'CVE-2021-25741');
  });

  it('finds every entry that carries a KHV alias', () => {
    assert.deepEqual(
      lookupEntry('KHV005').map((e) => e.id),
      ['KF-API-002', 'KF-POD-001'],
    );
    assert.deepEqual(
      lookupEntry('khv022').map((e) => e.id),
      ['CVE-2018-1002105'],
    );
  });

  it('finds entries by ATT&CK technique', () => {
    const ids = lookupEntry('T1552.005').map((e) => e.id);
    assert.ok(ids.includes('KF-CLOUD-001') && ids.includes('KF-CLOUD-005'), String(ids));
  });

  it('finds nothing for an unknown id', () => {
    assert.deepEqual(lookupEntry('KF-NOPE-999'), []);
    assert.deepEqual(lookupEntry('CVE-1999-0001'), []);
    assert.equal(entryOf('KHV036'), undefined, 'entryOf takes ids, not aliases');
  });

  it('gives findings the severity of their entry, CVEs included, unless the hunter set one', () => {
    assert.equal(severityOf({ kb: 'CVE-2018-1002105' }), 'critical');
    assert.equal(severityOf({ kb: 'KF-API-003' }), 'info');
    assert.equal(severityOf({ kb: 'CVE-2018-1002105', severity: 'low' }), 'low');
    assert.equal(severityOf({ kb: 'KF-UNKNOWN-001' }), 'info');
  });
});

describe('entry schema', () => {
  const good = {
    id: 'KF-TEST-001',
    title: 't',
    component: 'c',
    category: 'access risk',
    severity: 'low',
    severityRationale: 'r',
    description: 'd',
    remediation: 'r',
  };

  it('accepts a minimal entry and fills the defaults', () => {
    const parsed = kbEntrySchema.parse(good);
    assert.equal(parsed.kind, 'weakness');
    assert.deepEqual(parsed.aliases, { khv: [], mitre: [] });
  });

  const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a malformed id', { id: 'KF-test-1' }, /KF-COMPONENT-NNN/],
    ['an unknown category', { category: 'unauthenticated access' }, /category|Invalid option/],
    ['a malformed KHV alias', { aliases: { khv: ['KHV36'] } }, /KHV036/],
    ['a malformed technique', { aliases: { mitre: ['T16130'] } }, /T1613/],
    ['a proof that follows nothing', { kind: 'proof' }, /proof names the entries/],
    ['a weakness that follows something', { follows: ['KF-API-001'] }, /proof names the entries/],
    ['an unknown field', { cvss: 9 }, /Unrecognized key/],
    ['a reference that is not a URL', { references: ['kubernetes docs'] }, /URL/i],
  ];
  for (const [what, change, message] of BAD) {
    it(`rejects ${what}`, () => {
      const result = kbEntrySchema.safeParse({ ...good, ...change });
      assert.equal(result.success, false);
      assert.match(result.error?.issues.map((i) => i.message).join('; ') ?? '', message);
    });
  }
});
