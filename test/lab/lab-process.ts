// A lab in a process of its own, for tests that kill that process: starts the lab at the given base with
// the real etcd, prints "up", and waits to be killed.
import { startLab } from '../../src/lab/index.js';

await startLab({ base: process.argv[2], etcd: 'real', nodes: 1 });
console.log('up');
setInterval(() => undefined, 60_000);
