/**
 * What the scheduler hands the deliverer and gets back: plain data, no classes, so the loop can
 * record it and the domain's retry policy can classify it without knowing HTTP.
 */
export interface DeliveryRequest {
  url: string;
  /** The raw payload, sent byte for byte and signed as is. */
  body: string;
  endpointHeaders?: Readonly<Record<string, string>>;
  /** Per-send headers: win over the endpoint's on a clash (see requestHeaders.ts). */
  messageHeaders?: Readonly<Record<string, string>>;
  /** The endpoint's active signing secrets (whsec_...), each producing one signature. */
  secrets: readonly string[];
  messageId: string;
  attemptNo: number;
  /** The attempt's clock reading; X-Webhook-Timestamp is its whole seconds. */
  now: Date;
}

export type DeliveryErrorReason = 'timeout' | 'network' | 'dns' | 'blocked' | 'tls' | 'invalid_url' | 'invalid_request';

export type DeliveryOutcome =
  | {
      kind: 'response';
      status: number;
      /** Milliseconds from the start of the attempt to the response head (DNS, connect, TLS included). */
      latencyMs: number;
      headers: Record<string, string>;
      headersTruncated: boolean;
      bodyExcerpt: string;
      bodyTruncated: boolean;
      /** The raw Retry-After header, if any; the retry policy parses it. */
      retryAfter: string | undefined;
      resolvedIp: string;
      requestHeaders: Record<string, string>;
    }
  | {
      kind: 'error';
      reason: DeliveryErrorReason;
      message: string;
      latencyMs: number;
      resolvedIp?: string;
      /** Present once the request could be built (every reason but invalid_url/invalid_request). */
      requestHeaders?: Record<string, string>;
    };
