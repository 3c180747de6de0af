import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerScanOptions, type ScanFlags, scanConfig } from '../../../src/cli/flags/scan.js';
import { DEFAULT_MAX_MEMORY_MIB, defaultConfig } from '../../../src/core/config.js';

function parse(args: string[]): ScanFlags {
  const cmd = registerScanOptions(new Command().exitOverride()).argument('[targets...]');
  cmd.parse(args, { from: 'user' });
  return cmd.opts<ScanFlags>();
}

describe('scan flags', () => {
  it('gives the TLS handshake its own deadline, in ms; absent, the network derives it', () => {
    const given = scanConfig(['127.0.3.2'], parse(['127.0.3.2', '--handshake-timeout', '2.5', '--timeout', '1']));
    assert.equal(given.handshakeTimeoutMs, 2500);
    assert.equal(given.connectTimeoutMs, 1000);
    assert.equal(scanConfig(['127.0.3.2'], parse(['127.0.3.2'])).handshakeTimeoutMs, undefined);
  });

  it('--max-memory is MiB (0 for no budget); absent, the default that fits a 512 MiB pod', () => {
    assert.equal(
      scanConfig(['127.0.3.2'], parse(['127.0.3.2', '--max-memory', '300'])).maxMemoryBytes,
      300 * 1024 * 1024,
    );
    assert.equal(scanConfig(['127.0.3.2'], parse(['127.0.3.2', '--max-memory', '0'])).maxMemoryBytes, 0);
    assert.equal(scanConfig(['127.0.3.2'], parse(['127.0.3.2'])).maxMemoryBytes, undefined);
    assert.equal(defaultConfig().maxMemoryBytes, DEFAULT_MAX_MEMORY_MIB * 1024 * 1024);
    assert.ok(DEFAULT_MAX_MEMORY_MIB < 512);
    for (const bad of ['lots', '-5', '1.5', '']) {
      assert.throws(
        () => parse(['127.0.3.2', '--max-memory', bad]),
        (err: Error) => {
          assert.match(err.message, /^--max-memory takes a whole number from 0 to 1048576, not ".*"$/);
          return true;
        },
      );
    }
  });
});
