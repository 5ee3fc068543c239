/**
 * Every refusal the service makes is a DomainError carrying the reference's error code,
 * its human message, and the HTTP status the API answers with. One middleware turns it
 * into the error envelope; nothing else formats errors.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
