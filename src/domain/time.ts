/**
 * Comparing ISO-8601 instants that arrive on commands and events. Parsing a given string
 * reads no clock. Compared as instants, not strings, so offsets and precision don't matter.
 */
export const instant = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${iso}`);
  return ms;
};

export const isAtOrAfter = (a: string, b: string): boolean => instant(a) >= instant(b);
export const isAfter = (a: string, b: string): boolean => instant(a) > instant(b);
