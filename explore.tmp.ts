import { startLab } from './src/lab/index.js';
import { huntLab } from './test/hunters/hunt-lab.js';
import { kubeletHunters } from './src/hunters/kubelet/index.js';
import { etcdHunters } from './src/hunters/etcd/index.js';
import { exposedHunters } from './src/hunters/exposed/index.js';
import { tlsHunters } from './src/hunters/tls/index.js';
const profile = (process.argv[2] ?? 'vulnerable') as any;
const lab = await startLab({ profile, base: '127.69.0.2', etcd: (process.argv[3] ?? 'simulated') as any });
try {
  const h = await huntLab(lab, [...kubeletHunters, ...etcdHunters, ...exposedHunters, ...tlsHunters]);
  for (const f of h.findings) console.log(f.kb, `${f.host}:${f.port}`, f.path ?? '', f.object ?? '', '|', f.evidence);
  console.log('problems', h.result.problems);
  for (const e of h.result.events.filter(e=>e.type==='Version'||e.type==='ApiAccess')) console.log(JSON.stringify(e));
  const nonGet = lab.requests.filter(r => r.method !== 'GET');
  console.log('non-GET', nonGet.map(r => `${r.method} ${r.component} ${r.path} ${r.status}`));
} finally { await lab.stop(); }
