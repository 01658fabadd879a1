import { readFileSync } from 'node:fs';
import { CodedError, topicFilter, type Channel } from '@takt/contracts';
import { ClientAccess, type BoundRule } from './client-access.js';
import { isValidFilter } from './topic-match.js';
import type { Identity } from './users.js';

export type AclAction = 'publish' | 'subscribe';
export type AclErrorCode = 'ACL_NOT_FOUND' | 'ACL_PARSE';

/** An ACL file that cannot be used; `line` is 1-based. */
export class AclError extends CodedError<AclErrorCode> {
  override readonly name = 'AclError';
  constructor(
    code: AclErrorCode,
    message: string,
    readonly line?: number,
  ) {
    super(code, message);
  }
}

/** One ordered rule: `allow|deny  user NAME|role NAME|all  publish|subscribe|readwrite  FILTER`. */
export interface AclRule {
  effect: 'allow' | 'deny';
  subject: { kind: 'user' | 'role'; name: string } | { kind: 'all' };
  actions: readonly AclAction[];
  /** topic filter; `%u` and `%c` stand for the user name and client id as whole levels or inside one, `%d` for each device binding (three levels) */
  filter: string;
  /** where it came from, for logs: `file:line` or `default` */
  source: string;
}

/** Channels an edge box sends upstream for its devices (never `label`, `truth`, `raw`, `camera` or `model/desired`). */
export const UPSTREAM_CHANNELS = [
  'telemetry',
  'features',
  'anomaly',
  'inspection',
  'evidence',
  'state',
  'heartbeat',
] as const;
/** Channels a machine or the plant simulator sends to the edge. */
export const PLANT_CHANNELS = ['raw', 'camera'] as const;

/**
 * The built-in role rules, applied after the ACL file's own rules. `%d` stands for each of the
 * user's device bindings (`site/line/device` from the users file), so an `edge` box and a `device`
 * speak only for the devices they are bound to:
 * - `device`: a machine that publishes for itself; bound to its devices (by default `+/+/<user name>`).
 * - `edge`: an edge box; publishes its devices' upstream channels, reads their raw/camera and desired model.
 * - `plant`: the plant simulator; publishes raw, camera and ground truth.
 * - `ingestor`: reads everything, publishes nothing. `trainer`: reads everything, writes `model/desired`.
 * - `dashboard`, `engineer`: read everything, publish labels.
 * - `service`: everything under takt/v1 (tools and legacy setups; never for an edge box).
 */
export function defaultRules(): AclRule[] {
  const rule = (role: string, actions: AclAction[], filter: string): AclRule => ({
    effect: 'allow',
    subject: { kind: 'role', name: role },
    actions,
    filter,
    source: 'default',
  });
  const all = topicFilter();
  const everything = all.replace(/\+\/\+\/\+\/#$/, '#');
  const bound = (channel: string) => all.replace(/\+\/\+\/\+\/#$/, `%d/${channel}`);
  const anyDevice = (channel: string) => topicFilter({ channel: channel as Channel });
  return [
    ...[...PLANT_CHANNELS, ...UPSTREAM_CHANNELS].map((c) => rule('device', ['publish'], bound(c))),
    rule('device', ['subscribe'], bound('model/desired')),
    ...UPSTREAM_CHANNELS.map((c) => rule('edge', ['publish'], bound(c))),
    ...[...PLANT_CHANNELS, 'model/desired'].map((c) => rule('edge', ['subscribe'], bound(c))),
    ...[...PLANT_CHANNELS, 'truth'].map((c) => rule('plant', ['publish'], anyDevice(c))),
    rule('ingestor', ['subscribe'], everything),
    rule('trainer', ['subscribe'], everything),
    rule('trainer', ['publish'], anyDevice('model/desired')),
    rule('dashboard', ['subscribe'], everything),
    rule('dashboard', ['publish'], anyDevice('label')),
    rule('service', ['publish', 'subscribe'], everything),
    rule('engineer', ['subscribe'], everything),
    rule('engineer', ['publish'], anyDevice('label')),
  ];
}

const ACTIONS: Record<string, AclAction[]> = {
  publish: ['publish'],
  subscribe: ['subscribe'],
  readwrite: ['publish', 'subscribe'],
};

function parseLine(text: string, source: string, lineNo: number): AclRule {
  const fail = (why: string) => new AclError('ACL_PARSE', `${source}: ${why}: ${JSON.stringify(text)}`, lineNo);
  const words = text.split(/\s+/);
  const [effect, kind] = words;
  if (effect !== 'allow' && effect !== 'deny') throw fail('a rule starts with "allow" or "deny"');
  const named = kind === 'user' || kind === 'role';
  const rest = words.slice(named ? 3 : 2);
  if (!named && kind !== 'all') throw fail('the subject is "user NAME", "role NAME" or "all"');
  const name = named ? words[2] : undefined;
  if (named && !name) throw fail(`"${kind}" needs a name`);
  const [action, filter, extra] = rest;
  const actions = action === undefined ? undefined : ACTIONS[action];
  if (!actions) throw fail('the action is "publish", "subscribe" or "readwrite"');
  if (!filter || extra !== undefined) throw fail('a rule ends with exactly one topic filter');
  if (!isValidFilter(filter.split('/'))) throw fail('invalid topic filter');
  const subject: AclRule['subject'] = named ? { kind, name: name as string } : { kind: 'all' };
  return { effect, subject, actions, filter, source: `${source}` };
}

/**
 * Parses ACL text. Blank lines and `#` comments are skipped; `defaults off` drops the built-in
 * role rules; every other line is one rule. Throws `AclError('ACL_PARSE')` naming the line.
 */
export function parseAcl(text: string, source = 'acl'): { rules: AclRule[]; defaults: boolean } {
  const rules: AclRule[] = [];
  let defaults = true;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (/^defaults\s+(off|on)$/.test(line)) {
      defaults = line.endsWith('on');
      return;
    }
    rules.push(parseLine(line, `${source}:${i + 1}`, i + 1));
  });
  return { rules, defaults };
}

/** Reads an ACL file (see `parseAcl`). */
export function readAclFile(file: string): { rules: AclRule[]; defaults: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AclError('ACL_NOT_FOUND', `cannot read ACL file ${file}: ${(err as Error).message}`);
  }
  return parseAcl(text, file);
}

/** A placeholder value that could smuggle a wildcard or a level break makes its rule inapplicable. */
const UNSAFE = /[+#/]/;

/** The device bindings `%d` expands to: the users file's, else `+/+/<user name>` for the `device` role. */
function deviceBindings(identity: Identity): readonly string[] {
  if (identity.devices?.length) return identity.devices;
  if (identity.role === 'device' && identity.username && !UNSAFE.test(identity.username))
    return [`+/+/${identity.username}`];
  return [];
}

function bindRule(rule: AclRule, identity: Identity, clientId: string): BoundRule[] {
  const s = rule.subject;
  if (s.kind === 'user' && s.name !== identity.username) return [];
  if (s.kind === 'role' && s.name !== identity.role) return [];
  let filter = rule.filter;
  if (filter.includes('%u')) {
    if (identity.username === undefined || identity.username === '' || UNSAFE.test(identity.username)) return [];
    filter = filter.replaceAll('%u', identity.username);
  }
  if (filter.includes('%c')) {
    if (clientId === '' || UNSAFE.test(clientId)) return [];
    filter = filter.replaceAll('%c', clientId);
  }
  const filters = filter.includes('%d') ? deviceBindings(identity).map((d) => filter.replaceAll('%d', d)) : [filter];
  return filters.map((f) => ({
    allow: rule.effect === 'allow',
    publish: rule.actions.includes('publish'),
    subscribe: rule.actions.includes('subscribe'),
    levels: f.split('/'),
  }));
}

/** The ordered rule list (file rules, then role defaults unless `defaults off`). */
export class AccessPolicy {
  readonly rules: readonly AclRule[];

  constructor(fileRules: readonly AclRule[] = [], options: { defaults?: boolean } = {}) {
    this.rules = [...fileRules, ...(options.defaults === false ? [] : defaultRules())];
  }

  static fromFile(file: string | undefined): AccessPolicy {
    if (!file) return new AccessPolicy();
    const { rules, defaults } = readAclFile(file);
    return new AccessPolicy(rules, { defaults });
  }

  /** The rules that apply to one connected client. */
  bind(identity: Identity, clientId: string): ClientAccess {
    return new ClientAccess(
      identity,
      this.rules.flatMap((rule) => bindRule(rule, identity, clientId)),
    );
  }
}
