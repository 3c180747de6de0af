#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npm ci` is the whole install: no build step, no stale output.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
