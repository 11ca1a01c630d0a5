import { readFileSync } from 'node:fs';
import { EXIT_USAGE, UserError } from './errors.js';

/**
 * Reads a --config file as a JSON object, without checking its keys; the
 * keys and values are checked against the option table by settings.ts.
 */
export function readConfigJson(path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read config ${path}: ${(err as Error).message.split('\n')[0]}`, EXIT_USAGE);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`config ${path}: must be a JSON object`, EXIT_USAGE);
  return raw as Record<string, unknown>;
}
