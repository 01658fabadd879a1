import { readFileSync } from 'node:fs';
import { CHANNELS, COMMAND_CHANNELS, topicFilter } from '@takt/contracts';
import { filterCovers, filterMatchesTopic, filtersOverlap, isValidFilter } from './topic-match.js';
import type { Identity } from './users.js';

export type AclAction = 'publish' | 'subscribe';
export type AclErrorCode = 'ACL_NOT_FOUND' | 'ACL_PARSE';

/** An ACL file that cannot be used; `line` is 1-based. */
export class AclError extends Error {
  override readonly name = 'AclError';
  constructor(
    readonly code: AclErrorCode,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** One ordered rule: `allow|deny  user NAME|role NAME|all  publish|subscribe|readwrite  FILTER`. */
export interface AclRule {
  effect: 'allow' | 'deny';
  subject: { kind: 'user' | 'role'; name: string } | { kind: 'all' };
  actions: readonly AclAction[];
  /** topic filter; `%u` and `%c` stand for the user name and client id as whole levels or inside one */
  filter: string;
  /** where it came from, for logs: `file:line` or `default` */
  source: string;
}

/** The built-in rules for the three roles, applied after the ACL file's own rules. */
export function defaultRules(): AclRule[] {
  const rule = (role: string, actions: AclAction[], filter: string): AclRule => ({
    effect: 'allow',
    subject: { kind: 'role', name: role },
    actions,
    filter,
    source: 'default',
  });
  const all = topicFilter();
  const own = (channel: string) => all.replace(/\+\/#$/, `%u/${channel}`);
  const deviceChannels = CHANNELS.filter((c) => !COMMAND_CHANNELS.includes(c));
  return [
    ...deviceChannels.map((c) => rule('device', ['publish'], own(c))),
    rule('device', ['subscribe'], own('model/desired')),
    rule('service', ['publish', 'subscribe'], all.replace(/\+\/\+\/\+\/#$/, '#')),
    rule('engineer', ['subscribe'], all.replace(/\+\/\+\/\+\/#$/, '#')),
    rule('engineer', ['publish'], topicFilter({ channel: 'label' })),
  ];
}

const ACTIONS: Record<string, AclAction[]> = { publish: ['publish'], subscribe: ['subscribe'], readwrite: ['publish', 'subscribe'] };

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

interface BoundRule {
  allow: boolean;
  publish: boolean;
  subscribe: boolean;
  levels: string[];
}

/** A placeholder value that could smuggle a wildcard or a level break makes its rule inapplicable. */
const UNSAFE = /[+#/]/;

function bindRule(rule: AclRule, identity: Identity, clientId: string): BoundRule | undefined {
  const s = rule.subject;
  if (s.kind === 'user' && s.name !== identity.username) return undefined;
  if (s.kind === 'role' && s.name !== identity.role) return undefined;
  let filter = rule.filter;
  if (filter.includes('%u')) {
    if (identity.username === undefined || identity.username === '' || UNSAFE.test(identity.username)) return undefined;
    filter = filter.replaceAll('%u', identity.username);
  }
  if (filter.includes('%c')) {
    if (clientId === '' || UNSAFE.test(clientId)) return undefined;
    filter = filter.replaceAll('%c', clientId);
  }
  return { allow: rule.effect === 'allow', publish: rule.actions.includes('publish'), subscribe: rule.actions.includes('subscribe'), levels: filter.split('/') };
}

/** Decisions cached per client, bounded so a client walking many topics cannot grow memory. */
const CACHE_LIMIT = 512;

/**
 * One client's view of the ACL: the rules that apply to it, with `%u`/`%c` already substituted,
 * and a small decision cache. The first rule that matches decides; no match denies.
 * Publish: a rule matches when its filter matches the topic. Subscribe: an allow rule matches when
 * its filter covers the whole requested filter, a deny rule when the two overlap at all.
 */
export class ClientAccess {
  readonly #rules: BoundRule[];
  readonly #publish = new Map<string, boolean>();
  readonly #subscribe = new Map<string, boolean>();

  constructor(rules: BoundRule[]) {
    this.#rules = rules;
  }

  canPublish(topic: string): boolean {
    let ok = this.#publish.get(topic);
    if (ok === undefined) {
      const levels = topic.split('/');
      ok = this.#rules.find((r) => r.publish && filterMatchesTopic(r.levels, levels))?.allow ?? false;
      if (this.#publish.size >= CACHE_LIMIT) this.#publish.clear();
      this.#publish.set(topic, ok);
    }
    return ok;
  }

  canSubscribe(filter: string): boolean {
    let ok = this.#subscribe.get(filter);
    if (ok === undefined) {
      const levels = filter.split('/');
      const rule = this.#rules.find((r) => r.subscribe && (r.allow ? filterCovers(r.levels, levels) : filtersOverlap(r.levels, levels)));
      ok = rule?.allow ?? false;
      if (this.#subscribe.size >= CACHE_LIMIT) this.#subscribe.clear();
      this.#subscribe.set(filter, ok);
    }
    return ok;
  }
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
    const bound: BoundRule[] = [];
    for (const rule of this.rules) {
      const b = bindRule(rule, identity, clientId);
      if (b) bound.push(b);
    }
    return new ClientAccess(bound);
  }
}
