import { DomainError } from '../../domain/errors.js';
import { parseIp } from '../../scheduler/ipAddress.js';
import { resolveAndCheck } from '../../scheduler/ssrfGuard.js';

/**
 * Endpoint URL rules at create/update time: HTTPS, 12-2048 characters, no credentials, and
 * no target that is obviously internal. Only what the URL itself says is checked (a literal
 * IP, localhost): no DNS here, since a name can change what it resolves to at any time;
 * every delivery re-checks the resolved address (src/scheduler/ssrfGuard.ts).
 */
const invalidEndpoint = (message: string): DomainError => new DomainError('INVALID_ENDPOINT', message, 400);
const blocked = (message: string): DomainError => new DomainError('ENDPOINT_BLOCKED', message, 400);

const noDns = async (): Promise<never> => {
  throw new Error('no DNS at create time');
};

/** Returns the URL's normalised form (for duplicate detection); throws INVALID_ENDPOINT or ENDPOINT_BLOCKED. */
export async function checkEndpointUrl(url: string, allowPrivate: boolean): Promise<string> {
  if (url.length < 12 || url.length > 2048) throw invalidEndpoint('url must be between 12 and 2048 characters');
  if (!/^https:\/\//i.test(url)) throw invalidEndpoint('url must be a valid HTTPS URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidEndpoint('url must be a valid HTTPS URL');
  }
  if (parsed.protocol !== 'https:' || parsed.hostname === '') throw invalidEndpoint('url must be a valid HTTPS URL');
  if (parsed.username !== '' || parsed.password !== '') throw invalidEndpoint('url must not contain credentials');
  const host = parsed.hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.') {
    if (!allowPrivate) throw blocked(`url targets ${host}, a loopback name`);
  } else if (parseIp(host) !== undefined) {
    const check = await resolveAndCheck(host, { allowPrivate, lookup: noDns });
    if (!check.ok) throw blocked(`url targets a blocked address: ${check.message}`);
  }
  parsed.hash = '';
  return parsed.href;
}
