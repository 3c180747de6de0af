import { readFileSync } from 'node:fs';
import { compiledKb } from '../kb/compiled.js';

/** What the build (scripts/build.mjs) knows about itself; undefined when running from sources. */
declare const KUBEFERRET_BUILD: { version: string; cveData: string; kbRevision: string } | undefined;

const built = typeof KUBEFERRET_BUILD === 'object' ? KUBEFERRET_BUILD : undefined;

/** The package version: package.json's, compiled in by the build, so there is one place to bump it. */
export const VERSION: string =
  built?.version ?? JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export interface Provenance {
  version: string;
  /** The `updated` day of the bundled CVE data. */
  cveData: string;
  /** A short hash of the knowledge base and the bundled CVE data (see kb/sources.ts). */
  kbRevision: string;
}

/** What judged a run: the version, the bundled CVE data's day and the knowledge-base revision. */
export function provenance(): Provenance {
  if (built) return built;
  const kb = compiledKb();
  return { version: VERSION, cveData: kb.cves.updated, kbRevision: kb.revision };
}

/** `kubeferret --version`: `0.1.0 (CVE data 2026-11-30, knowledge base 1a2b3c4d5e6f)`. */
export function versionLine(): string {
  const p = provenance();
  return `${p.version} (CVE data ${p.cveData}, knowledge base ${p.kbRevision})`;
}
