/**
 * Header names a caller can never set on a delivery (per send or on the endpoint). The
 * API refuses them with INVALID_HEADERS; the deliverer also drops them, so a header that
 * reached the log some other way still cannot override the transport or the service.
 */
const reservedNames: ReadonlySet<string> = new Set([
  // the reference's own examples
  'host',
  'authorization',
  // the transport's: a custom value would corrupt or smuggle the request
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
  'proxy-authorization',
  // the service's: payloads are JSON, and receivers must be able to trust these
  'content-type',
  'user-agent',
]);

/** True for a reserved name, given in lower case. X-Webhook-* is the service's namespace (signature, timestamp, id, attempt). */
export const isReservedDeliveryHeader = (lowerCaseName: string): boolean => reservedNames.has(lowerCaseName) || lowerCaseName.startsWith('x-webhook-');
