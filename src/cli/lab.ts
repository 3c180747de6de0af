import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('start the simulated, deliberately misconfigured cluster on loopback')
    .action(() => {
      throw new UsageError('the lab is not built yet');
    });
}
