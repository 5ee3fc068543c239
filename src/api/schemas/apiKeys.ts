import { z } from 'zod';
import { apiKeyId } from './common.js';

export const createApiKeyBody = z.strictObject({
  label: z.string({ message: 'must be a string' }).min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  /** The Go client sends it; it only chooses the key's prefix (hb_live_ or hb_test_). */
  mode: z.enum(['live', 'test'], { message: 'must be one of: live, test' }).optional(),
});

export const apiKeyParams = z.strictObject({ key_id: apiKeyId });

export const createdApiKey = z.object({
  key_id: z.string(),
  key: z.string().describe('The whole key: shown only here'),
  prefix: z.string().describe('Its first 11 characters'),
  label: z.string().optional(),
  created_at: z.string(),
});

export const apiKeySummary = z.object({ key_id: z.string(), prefix: z.string(), label: z.string().optional(), created_at: z.string() });
