import { describe, expect, it } from 'vitest';
import { AccessPolicy, AclError, parseAcl } from './acl.js';
import { filterCovers, filtersOverlap, filterMatchesTopic } from './topic-match.js';

const split = (s: string) => s.split('/');

describe('topic matching', () => {
  it('matches topics, containment and overlap of filters', () => {
    expect(filterMatchesTopic(split('a/+/c'), split('a/b/c'))).toBe(true);
    expect(filterMatchesTopic(split('a/#'), split('a'))).toBe(true); // [MQTT-4.7.1-2]
    expect(filterMatchesTopic(split('#'), split('$SYS/x'))).toBe(false); // [MQTT-4.7.2-1]
    expect(filterCovers(split('a/#'), split('a/+/c'))).toBe(true);
    expect(filterCovers(split('a/+/c'), split('a/#'))).toBe(false);
    expect(filterCovers(split('a/b/c'), split('a/+/c'))).toBe(false);
    expect(filtersOverlap(split('a/+/c'), split('a/b/#'))).toBe(true);
    expect(filtersOverlap(split('a/x/c'), split('a/b/#'))).toBe(false);
  });
});

describe('ACL', () => {
  const device = (name: string) => ({ username: name, role: 'device' });

  it('default roles: a device publishes its own non-command channels and reads its own model/desired', () => {
    const a = new AccessPolicy().bind(device('press-01'), 'c1');
    expect(a.canPublish('takt/v1/plant-a/line-1/press-01/telemetry')).toBe(true);
    expect(a.canPublish('takt/v1/plant-a/line-1/press-02/telemetry')).toBe(false);
    expect(a.canPublish('takt/v1/plant-a/line-1/press-01/model/desired')).toBe(false);
    expect(a.canPublish('takt/v1/plant-a/line-1/press-01/bogus')).toBe(false);
    expect(a.canSubscribe('takt/v1/+/+/press-01/model/desired')).toBe(true);
    expect(a.canSubscribe('takt/v1/+/+/+/model/desired')).toBe(false);
    const svc = new AccessPolicy().bind({ username: 'ingest', role: 'service' }, 'c2');
    expect(svc.canSubscribe('takt/v1/#')).toBe(true);
    expect(svc.canPublish('takt/v1/a/b/c/model/desired')).toBe(true);
    expect(svc.canSubscribe('#')).toBe(false);
  });

  it('ordered file rules come first: deny wins over a later allow; %u and %c are substituted', () => {
    const { rules, defaults } = parseAcl(`
      # engineers may not watch cameras
      deny role engineer subscribe takt/v1/+/+/+/camera
      allow user alice publish takt/v1/+/+/+/model/desired
      allow all readwrite clients/%c/#
      allow role device subscribe takt/v1/+/+/%u/state
    `);
    expect(defaults).toBe(true);
    const policy = new AccessPolicy(rules);
    const eng = policy.bind({ username: 'alice', role: 'engineer' }, 'cid-7');
    expect(eng.canSubscribe('takt/v1/+/+/+/camera')).toBe(false);
    expect(eng.canSubscribe('takt/v1/#')).toBe(false); // it overlaps the denied cameras
    expect(eng.canSubscribe('takt/v1/+/+/+/telemetry')).toBe(true);
    expect(eng.canPublish('takt/v1/a/b/c/model/desired')).toBe(true);
    expect(eng.canPublish('clients/cid-7/x')).toBe(true);
    expect(eng.canPublish('clients/cid-8/x')).toBe(false);
    expect(policy.bind(device('press-01'), 'x').canSubscribe('takt/v1/+/+/press-01/state')).toBe(true);
  });

  it('BAD INPUT - a user name or client id holding a wildcard or slash never widens a %u/%c rule', () => {
    const policy = new AccessPolicy(parseAcl('allow all publish clients/%c/out').rules);
    expect(policy.bind({ username: 'x', role: 'r' }, '+').canPublish('clients/+/out')).toBe(false);
    expect(policy.bind({ username: 'x', role: 'r' }, 'a/b').canPublish('clients/a/b/out')).toBe(false);
    expect(new AccessPolicy().bind(device('#'), 'c').canPublish('takt/v1/a/b/#/telemetry')).toBe(false);
  });

  it('"defaults off" leaves only the file rules', () => {
    const { rules, defaults } = parseAcl('defaults off\nallow role service subscribe takt/v1/+/+/+/telemetry');
    const svc = new AccessPolicy(rules, { defaults }).bind({ username: 's', role: 'service' }, 'c');
    expect(svc.canSubscribe('takt/v1/+/+/+/telemetry')).toBe(true);
    expect(svc.canSubscribe('takt/v1/#')).toBe(false);
    expect(svc.canPublish('takt/v1/a/b/c/telemetry')).toBe(false);
  });

  it.each([
    ['permit all publish a', 'starts with "allow" or "deny"'],
    ['allow user publish a/b', 'the action is'],
    ['allow group x publish a', 'the subject is'],
    ['allow all write a', 'the action is'],
    ['allow all publish a/#/b', 'invalid topic filter'],
    ['allow all publish a b', 'exactly one topic filter'],
  ])('BAD INPUT - rejects %j naming the line', (line, why) => {
    const text = `# header\n\n${line}`;
    expect(() => parseAcl(text, 'test.acl')).toThrow(AclError);
    try {
      parseAcl(text, 'test.acl');
    } catch (err) {
      expect(err).toMatchObject({ code: 'ACL_PARSE', line: 3 });
      expect((err as Error).message).toContain(why);
      expect((err as Error).message).toContain('test.acl:3');
    }
  });

  it('BAD INPUT - a missing ACL file is ACL_NOT_FOUND', () => {
    expect(() => AccessPolicy.fromFile('/nonexistent/broker.acl')).toThrow(expect.objectContaining({ code: 'ACL_NOT_FOUND' }));
  });
});
