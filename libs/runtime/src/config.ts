import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CodedError } from '@takt/contracts';

export type ConfigErrorCode = 'CONFIG_NOT_FOUND' | 'CONFIG_PARSE' | 'CONFIG_INVALID';

/** A configuration file or environment override that cannot be used; `key` names the bad key. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  constructor(
    code: ConfigErrorCode,
    message: string,
    readonly key?: string,
  ) {
    super(code, message);
  }
}

export interface LoadConfigOptions {
  /** JSON file to read; omitted means defaults + environment only */
  file?: string;
  /** environment prefix, e.g. `TAKT_BROKER_`; `TAKT_BROKER_MAX_PACKET_SIZE` sets `maxPacketSize`, `__` nests */
  envPrefix: string;
  /** environment to read; default `process.env` */
  env?: NodeJS.ProcessEnv;
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

type Tree = Record<string, unknown>;

/** `TAKT_X_PERSISTENCE__REDIS_URL=…` → `{ persistence: { redisUrl: … } }`, with where each key came from. */
export function envOverrides(prefix: string, env: NodeJS.ProcessEnv): { values: Tree; sources: Map<string, string> } {
  const values: Tree = {};
  const sources = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name.slice(prefix.length).split('__').map(camel);
    let node = values;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = (node[key] = next !== null && typeof next === 'object' ? next : {}) as Tree;
    }
    node[path[path.length - 1] as string] = parseEnvValue(raw);
    sources.set(path.join('.'), name);
  }
  return { values, sources };
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      b !== null &&
      typeof b === 'object' &&
      !Array.isArray(b)
        ? merge(b as Tree, v as Tree)
        : v;
  }
  return out;
}

function readJson(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_PARSE', `config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('CONFIG_PARSE', `config file ${file} must hold a JSON object`);
  }
  return parsed as Tree;
}

/**
 * Loads configuration: schema defaults, then the JSON file, then `${envPrefix}*` variables.
 * Any invalid value throws a `ConfigError` naming the key (and the variable it came from).
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions): z.output<S> {
  const fromFile = options.file ? readJson(options.file) : {};
  const { values, sources } = envOverrides(options.envPrefix, options.env ?? process.env);
  const merged = merge(fromFile, values);
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue
    ? [...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]] : [])].map(String).join('.')
    : '';
  const source = sources.get(key) ?? (options.file ? `file ${options.file}` : 'defaults');
  const what =
    issue?.code === 'unrecognized_keys' ? 'is not a known setting' : `is invalid: ${issue?.message ?? 'unknown'}`;
  throw new ConfigError('CONFIG_INVALID', `config key "${key}" (from ${source}) ${what}`, key);
}
