import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.ROLE).toEqual(['api', 'scheduler', 'projector']);
    expect(config.RETRY_SCHEDULE_FAST).toEqual([30, 60, 120, 240, 300]);
    expect(config.MAX_ATTEMPTS).toBe(8);
    expect(config.ALLOW_PRIVATE_ENDPOINTS).toBe(false);
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'abc', ROLE: 'api,web' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', ROLE: 'api,web' });
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT/);
      expect((error as Error).message).toMatch(/ROLE/);
    }
  });

  it('parses lists and switches', () => {
    const config = loadConfig({ RETRY_SCHEDULE_SLOW: '10, 20,30', ALLOW_PRIVATE_ENDPOINTS: 'true', ROLE: 'scheduler' });
    expect(config.RETRY_SCHEDULE_SLOW).toEqual([10, 20, 30]);
    expect(config.ALLOW_PRIVATE_ENDPOINTS).toBe(true);
    expect(config.ROLE).toEqual(['scheduler']);
  });
});

describe('lease and delivery timeout', () => {
  it('refuses a lease that an attempt could outlive', () => {
    expect(() => loadConfig({ LEASE_MS: '10000', DELIVERY_TIMEOUT_MS: '15000' })).toThrow(/LEASE_MS: must be greater than DELIVERY_TIMEOUT_MS/);
    expect(loadConfig({ LEASE_MS: '20000', DELIVERY_TIMEOUT_MS: '15000' }).LEASE_MS).toBe(20000);
  });
});
