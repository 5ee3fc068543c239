import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../src/scheduler/signing.js';

// An independent check: the reference's own verification recipe (spec §10), run through the
// openssl binary, not through node:crypto.
function opensslHmacHex(secret: string, message: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: message }).toString();
  const hex = /([0-9a-f]{64})\s*$/.exec(out)?.[1];
  if (!hex) throw new Error(`unexpected openssl output: ${out}`);
  return hex;
}

describe('signatureHeaders', () => {
  const body = '{"event":"invoice.paid","amount":1200,"note":"café ☕"}';

  it('signs "<timestamp>.<body>" with the whole whsec_ secret, as openssl computes it', () => {
    const secret = 'whsec_abcdefghijklmnopqrstuvwxyz123456';
    const headers = signatureHeaders([secret], body, 1_764_291_600);
    expect(headers['X-Webhook-Timestamp']).toBe('1764291600');
    expect(headers['X-Webhook-Signature']).toBe(`sha256=${opensslHmacHex(secret, `1764291600.${body}`)}`);
  });

  it('during rotation sends one signature per key, comma-separated with no space, in key order', () => {
    const keys = ['whsec_oldoldoldoldoldoldoldoldoldold12', 'whsec_newabcdefghijklmnopqrstuvwxyz12'];
    const value = signatureHeaders(keys, body, 1_700_000_000)['X-Webhook-Signature'];
    expect(value).toBe(keys.map((k) => `sha256=${opensslHmacHex(k, `1700000000.${body}`)}`).join(','));
    expect(value).not.toContain(' ');
  });

  it('changes when the timestamp, the body or the key changes', () => {
    const base = signatureHeaders(['whsec_a'], body, 1)['X-Webhook-Signature'];
    expect(signatureHeaders(['whsec_a'], body, 2)['X-Webhook-Signature']).not.toBe(base);
    expect(signatureHeaders(['whsec_a'], `${body} `, 1)['X-Webhook-Signature']).not.toBe(base);
    expect(signatureHeaders(['whsec_b'], body, 1)['X-Webhook-Signature']).not.toBe(base);
  });

  it('refuses to sign without a key or with a non-integer timestamp', () => {
    expect(() => signatureHeaders([], body, 1)).toThrow(RangeError);
    expect(() => signatureHeaders(['whsec_a'], body, 1.5)).toThrow(RangeError);
  });
});
