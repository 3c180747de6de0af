import { NetError, oneLine } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';

/**
 * Credentials that expire during a hunt (an exec plugin's ExecCredential with an expirationTimestamp, such
 * as the fifteen-minute tokens of `aws eks get-token`) are renewed as client-go renews them: once expired,
 * the next request asks their source again. Sources register here under the key their secret carries.
 */
const renewers = new Map<string, () => Promise<CredentialSecret>>();

export function registerRenewal(key: string, renew: () => Promise<CredentialSecret>): void {
  renewers.set(key, renew);
}

/**
 * The credential to send now: as given while it is valid, else its source's fresh one (which `learn` is
 * told about first, so the run's redactor knows the new secret before it can appear anywhere).
 */
export async function currentCredential(
  credential: CredentialSecret | undefined,
  learn: (fresh: CredentialSecret) => void,
): Promise<CredentialSecret | undefined> {
  const renewal = credential?.renewal;
  if (!credential || !renewal || renewal.expires > Date.now()) return credential;
  const renew = renewers.get(renewal.key);
  if (!renew) return credential;
  let fresh: CredentialSecret;
  try {
    fresh = await renew();
  } catch (err) {
    throw new NetError('protocol', `the credential expired and could not be renewed: ${oneLine(err)}`);
  }
  learn(fresh);
  return { ...credential, ...fresh };
}
