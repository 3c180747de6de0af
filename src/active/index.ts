import type { ChangeIdentity } from '../core/changes.js';
import type { HuntConfig } from '../core/config.js';
import type { KfEvent } from '../core/events.js';
import type { Network } from '../net/network.js';
import { hostOfUrl } from '../net/scope.js';
import { checkJournalPath } from './journal.js';
import { defaultJournalPath } from './journal-path.js';
import { ActiveRun, type SecretLookup } from './recorder.js';

export { ActiveRun } from './recorder.js';

/**
 * Secrets come from the run's Credential events, looked up by name when a request is sent; the journal
 * keeps only the name. When several credentials share a name, the one for the request's API server wins.
 */
export function secretsFromEvents(
  known: (filter: (c: KfEvent<'Credential'>) => boolean) => KfEvent<'Credential'>[],
): SecretLookup {
  return (identity: ChangeIdentity, url: string) => {
    if (identity.credential === undefined) return {};
    const named = known((c) => c.name === identity.credential);
    if (named.length === 0) throw new Error(`no credential named ${identity.credential} in this run`);
    const host = hostOfUrl(url);
    const port = Number(new URL(url).port);
    const match = named.find((c) => c.apiServer?.host === host && c.apiServer.port === port) ?? named[0];
    return { secret: match.secret, source: match.source };
  };
}

/**
 * Opens the active side of a run: the journal path is checked before anything is sent (a dry run writes
 * none), and secrets are found through `known`.
 */
export function openActiveRun(
  config: HuntConfig,
  runId: string,
  network: Network,
  secretOf: SecretLookup,
  onDebug?: (line: string) => void,
): ActiveRun {
  const journalPath = config.journalPath ?? defaultJournalPath(runId);
  if (!config.dryRun) checkJournalPath(journalPath);
  return new ActiveRun({
    runId,
    dryRun: config.dryRun,
    journalPath,
    keepJournal: config.journalPath !== undefined,
    network,
    secretOf,
    onDebug,
    undoWaitMs: config.undoWaitMs,
  });
}
