import { createHmac } from 'node:crypto';

/**
 * The reference's signing scheme (spec §10): HMAC-SHA256 over "<timestamp>.<body>", keyed with
 * the whole secret string (the `whsec_` prefix included, UTF-8), lowercase hex, `sha256=` prefix.
 * During key rotation every active key signs, so a receiver holding either secret can verify.
 */
export interface SignatureHeaders {
  'X-Webhook-Timestamp': string;
  'X-Webhook-Signature': string;
}

export function signatureHeaders(secrets: readonly string[], body: string, timestampSeconds: number): SignatureHeaders {
  if (secrets.length === 0) throw new RangeError('at least one signing secret is required');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError('timestampSeconds must be a non-negative whole number of seconds');
  }
  const timestamp = String(timestampSeconds);
  const signed = `${timestamp}.${body}`;
  const signatures = secrets.map((secret) => `sha256=${createHmac('sha256', secret).update(signed, 'utf8').digest('hex')}`);
  // No space after the comma: receivers split on "," exactly as the reference documents.
  return { 'X-Webhook-Timestamp': timestamp, 'X-Webhook-Signature': signatures.join(',') };
}
