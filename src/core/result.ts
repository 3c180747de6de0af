import type { TraceCounts, TraceRecord } from '../net/trace.js';
import type { Change, PlannedRequest } from './changes.js';
import type { HuntConfig } from './config.js';
import type { EngineStats, HunterProblem } from './engine.js';
import type { KfEvent } from './events.js';

// What one run returns, declared below the run's orchestrator (src/run/hunt.ts) so the report, which
// renders it, does not import the layer that runs hunts.

export interface HuntResult {
  config: HuntConfig;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  events: KfEvent[];
  problems: HunterProblem[];
  scope: string[];
  trace: { path?: string; counts: TraceCounts; connects: number; refusals: TraceRecord[] };
  engine: EngineStats;
  /** The hunters selected for this run (passive, and active ones with --active), for the report. */
  hunters: { id: string; title: string; mode: 'passive' | 'active' }[];
  /** Changes made by active hunters, with whether each was undone. Empty for a passive hunt. */
  changes: Change[];
  interrupted: boolean;
  runId: string;
  /** A dry run: the requests active hunters would have sent to change something. */
  plan: PlannedRequest[];
  /** The undo journal, when a change was journalled; `pending` changes could not be undone. */
  journal?: { path: string; pending: number };
}
