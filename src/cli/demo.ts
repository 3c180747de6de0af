import type { Command } from 'commander';
import { CORE_PORTS, defaultConfig } from '../core/config.js';
import { parseTarget } from '../discovery/targets.js';
import { HUNTERS } from '../hunters/index.js';
import { startLab } from '../lab/index.js';
import { exitCodeOf, type OutputFlags, registerOutputOptions, writeOutputs } from './flags/output.js';
import { describeLab, labOptionsFrom } from './lab.js';
import { logHooks } from './logs.js';
import { runFromCli } from './run.js';

/**
 * Starts the vulnerable lab, hunts exactly its addresses with every registered hunter, prints the report
 * and stops the lab: a new user's first minute.
 */
export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('start the vulnerable lab on loopback, hunt it, print the report, stop it')
    .option('--base <address>', 'the lab control plane address (default 127.0.0.2, must be in 127.0.0.0/8)')
    .option('--etcd <mode>', 'auto | real | simulated | off (default auto)');
  registerOutputOptions(cmd).action(async (flags: { base?: string; etcd?: string } & OutputFlags, command: Command) => {
    const lab = await startLab(labOptionsFrom({ ...flags, profile: 'vulnerable' }));
    try {
      process.stdout.write(describeLab(lab));
      const first = lab.hosts[0].address;
      const last = lab.hosts.at(-1)!.address;
      const ports = new Set<number>([...CORE_PORTS, ...lab.hosts.flatMap((h) => h.services.map((s) => s.port))]);
      const config = defaultConfig({
        targets: [parseTarget(`${first}-${last}`)],
        ports: [...ports].sort((a, b) => a - b),
      });
      console.log(`\nhunting ${first}-${last} on ${ports.size} ports with ${HUNTERS.length} hunters\n`);
      // Ctrl-C stops the hunt as it stops `hunt`; the lab is stopped below either way.
      process.exitCode = await runFromCli(
        config,
        HUNTERS,
        logHooks(Boolean(command.optsWithGlobals().debug)),
        async (result) => {
          const report = await writeOutputs(result, flags);
          return exitCodeOf(report, 'none', { failOnIncomplete: flags.failOnIncomplete });
        },
      );
    } finally {
      await lab.stop();
    }
  });
}
