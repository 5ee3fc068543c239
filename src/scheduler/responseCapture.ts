import { StringDecoder } from 'node:string_decoder';

/**
 * What of a receiver's answer is kept on the attempt record: bounded, because a receiver controls
 * its size and every attempt is stored in the event log.
 */
export interface CaptureLimits {
  maxHeaders: number;
  maxHeaderBytes: number;
  excerptBytes: number;
}

/** Response headers by lower-case name (repeats joined with ", "), cut at the count or size limit. */
export function captureHeaders(rawHeaders: readonly string[], limits: CaptureLimits): { headers: Record<string, string>; truncated: boolean } {
  const headers: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const isNew = !(name in headers);
    const cost = (isNew ? name.length + 2 : 2) + value.length;
    if ((isNew && count >= limits.maxHeaders) || bytes + cost > limits.maxHeaderBytes) return { headers, truncated: true };
    headers[name] = isNew ? value : `${headers[name]}, ${value}`;
    bytes += cost;
    if (isNew) count += 1;
  }
  return { headers, truncated: false };
}

/** Collects at most `excerptBytes` of the body as UTF-8, never splitting a character. */
export class BodyExcerpt {
  private readonly decoder = new StringDecoder('utf8');
  private text = '';
  private kept = 0;
  /** Bytes seen in total, kept or not. */
  received = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.received += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    this.kept += part.length;
    this.text += this.decoder.write(part);
  }

  get value(): string {
    return this.text;
  }

  get truncated(): boolean {
    return this.received > this.kept;
  }
}
