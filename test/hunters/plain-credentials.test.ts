import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanCredentials } from '../../src/hunters/plain-credentials.js';

const names = (entries: [string, string][]) => scanCredentials(entries).matches.map((m) => m.name);

describe('credentials in plain sight', () => {
  it('finds credentials by shape, whatever their name', () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGV2OmRlcGxveWVyIn0.c2lnbmF0dXJlLXBhcnQ`;
    const scan = scanCredentials([
      ['DATABASE_URL', 'postgres://app:s3cr3t-Pass@db.default.svc:5432/app'],
      ['TLS', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n'],
      ['AWS', 'AKIAIOSFODNN7EXAMPLE'],
      ['BOOT', jwt],
    ]);
    assert.deepEqual(
      scan.matches.map((m) => [m.name, m.why]),
      [
        ['DATABASE_URL', 'a connection URL with a password'],
        ['TLS', 'a private key'],
        ['AWS', 'an AWS access key id'],
        ['BOOT', 'a JWT'],
      ],
    );
  });

  it('finds secrets by name when the value looks like one', () => {
    assert.deepEqual(
      names([
        ['DB_PASSWORD', 'hunter22'],
        ['dbPassword', 'correct horse'],
        ['API_KEY', 'f3Kd9xQ2mZ8vLp4T'],
        ['GITHUB_TOKEN', 'Zm9vYmFyYmF6cXV4MTIzNDU2'],
        ['CLIENT_SECRET', 'a8f5f167f44f4964e6c998dee827110c'],
      ]),
      ['DB_PASSWORD', 'dbPassword', 'API_KEY', 'GITHUB_TOKEN', 'CLIENT_SECRET'],
    );
  });

  it('keeps out the decoys, and counts them', () => {
    const scan = scanCredentials([
      ['PASSWORD_FILE', '/etc/app/password'],
      ['TOKEN_TTL', '3600'],
      ['SECRET_NAME', 'app-credentials'],
      ['CACHE_KEY', 'user-id'],
      ['AUTH_ENABLED', 'true'],
      ['DB_PASSWORD', '$(DB_PASSWORD_FROM_SECRET)'],
      ['TOKEN_URL', 'https://auth.example/token'],
      ['TOKEN', 'bearer'],
      ['PASSWORD', ''],
      ['LOG_LEVEL', 'debug'],
      ['DATABASE_URL', 'postgres://db.default.svc:5432/app'],
    ]);
    assert.deepEqual(scan.matches, []);
    assert.deepEqual(scan.keptOut, [
      'PASSWORD_FILE',
      'TOKEN_TTL',
      'SECRET_NAME',
      'CACHE_KEY',
      'AUTH_ENABLED',
      'DB_PASSWORD',
      'TOKEN_URL',
      'TOKEN',
    ]);
  });

  it('a URL whose password is a reference is not a credential', () => {
    assert.deepEqual(names([['DSN', 'mysql://app:$(DB_PASSWORD)@db:3306/app']]), []);
  });
});
