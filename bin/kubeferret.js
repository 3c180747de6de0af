#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npm ci` is the whole install: no build step, no stale output.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline tier, then
// recompiles it in the background with its optimizing one: a transient ~35 MB, a quarter of a scan's peak
// memory (bench/README.md). The baseline tier parses a scanner's short responses just as well. The flag
// only applies to WebAssembly compiled after it is set, which is all of it: undici compiles on first use.
setFlagsFromString('--liftoff-only');

register();
await import('../src/cli/main.ts');
