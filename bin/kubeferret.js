#!/usr/bin/env node
// Runs the build in dist/ (`npm run build`; `npm ci` and `npm install` run it through `prepare`).
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline tier, then
// recompiles it in the background with its optimizing one: a transient ~35 MB, a quarter of a scan's peak
// memory (bench/README.md). The baseline tier parses a scanner's short responses just as well. The flag
// only applies to WebAssembly compiled after it is set, which is all of it: undici compiles on first use.
setFlagsFromString('--liftoff-only');

try {
  await import('../dist/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/main.js')) throw err;
  console.error('kubeferret: dist/ is missing: run `npm run build` in the kubeferret directory first');
  process.exitCode = 1;
}
