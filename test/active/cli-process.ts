import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

/** Running the real command line from tests: as a user does, or with test hunters added. */

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/kubeferret.js');
const WITH_HUNTERS = join(ROOT, 'test/active/fixtures/cli-with-hunters.ts');
/** `--import tsx`, resolved here so it works from any working directory. */
const TSX = import.meta.resolve('tsx');

/** `node` arguments for the CLI with the hunters of the module in KF_TEST_HUNTERS added. */
export const withHunters = (args: string[]) => ['--import', TSX, WITH_HUNTERS, ...args];

/** The flags of an active hunt that consents, journals to `journal` and writes its JSON report to `report`. */
export const activeHuntFlags = (journal: string, report: string) => [
  ...['--active', '--yes', '--journal', journal],
  ...['--fail-on', 'none', '--format', 'json', '--output', report],
];

export interface CliRun {
  child: ChildProcess;
  /** stdout and stderr as they came, interleaved. */
  output: () => string;
  /** Resolves when the process is gone (killed after 60 s at the latest). */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Starts `node <argv>` without blocking this process (servers the CLI talks to live here). `tty` runs it
 * under `script`, on a real pseudo-terminal; `input` is typed on its stdin.
 */
export function startCli(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean; input?: string } = {},
): CliRun {
  const full = [process.execPath, ...argv];
  const [command, ...rest] = options.tty ? ['script', '-qfec', full.map((a) => `'${a}'`).join(' '), '/dev/null'] : full;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (options.env?.[k] === undefined) delete env[k];
  const child = spawn(command, rest, { cwd: options.cwd ?? ROOT, env });
  let stdout = '';
  let stderr = '';
  let both = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    both += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    both += b.toString();
  });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      r({ code, stdout, stderr });
    }),
  );
  return { child, output: () => both, done };
}

export async function waitFor(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
