import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerScanOptions, type ScanFlags, scanConfig } from '../../../src/cli/flags/scan.js';

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
});
