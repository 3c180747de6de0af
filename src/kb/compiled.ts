import { type CompiledKb, readKbSources } from './sources.js';

export type { CompiledKb } from './sources.js';

let cached: CompiledKb | undefined;

/**
 * The knowledge base this kubeferret ships. From sources it is read and validated at first use; the build
 * (scripts/build.mjs) replaces this whole module with one that returns the data it validated, so keep its
 * one export as it is.
 */
export function compiledKb(): CompiledKb {
  cached ??= readKbSources();
  return cached;
}
