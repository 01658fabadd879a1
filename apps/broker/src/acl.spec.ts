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
    // a wider filter is granted (it overlaps the device's own), and only the device's own topics are delivered
    expect(a.canSubscribe('takt/v1/+/+/+/model/desired')).toBe(true);
    expect(a.canRead('takt/v1/plant-a/line-1/press-01/model/desired')).toBe(true);
    expect(a.canRead('takt/v1/plant-a/line-1/press-02/model/desired')).toBe(false);
    expect(a.canSubscribe('takt/v1/+/+/+/telemetry')).toBe(false); // overlaps nothing it may read
    const svc = new AccessPolicy().bind({ username: 'ingest', role: 'service' }, 'c2');
    expect(svc.canSubscribe('takt/v1/#')).toBe(true);
    expect(svc.canPublish('takt/v1/a/b/c/model/desired')).toBe(true);
    expect(svc.canSubscribe('#')).toBe(true); // granted as in mosquitto; only takt/v1 is delivered
    expect(svc.canRead('factory/other')).toBe(false);
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
    expect(eng.canSubscribe('takt/v1/+/+/+/camera')).toBe(false); // wholly covered by the deny
    expect(eng.canSubscribe('takt/v1/#')).toBe(true); // granted; the cameras under it are never delivered
    expect(eng.canRead('takt/v1/a/b/c/camera')).toBe(false);
    expect(eng.canRead('takt/v1/a/b/c/telemetry')).toBe(true);
    expect(eng.canSubscribe('takt/v1/+/+/+/telemetry')).toBe(true);
    expect(eng.canPublish('takt/v1/a/b/c/model/desired')).toBe(true);
    expect(eng.canPublish('clients/cid-7/x')).toBe(true);
    expect(eng.canPublish('clients/cid-8/x')).toBe(false);
    expect(policy.bind(device('press-01'), 'x').canSubscribe('takt/v1/+/+/press-01/state')).toBe(true);
  });

  it('as mosquitto: with `deny all subscribe test/nosubscribe` before `allow all readwrite #`, `+/+` is granted and never delivers the denied topic', () => {
    const access = new AccessPolicy(parseAcl('deny all subscribe test/nosubscribe\nallow all readwrite #').rules).bind(
      { username: undefined, role: 'anonymous' },
      'c',
    );
    expect(access.canSubscribe('test/nosubscribe')).toBe(false); // SUBACK 0x80
    expect(access.canSubscribe('+/+')).toBe(true);
    expect(access.canRead('test/nosubscribe')).toBe(false);
    expect(access.canRead('test/other')).toBe(true);
    // with only an allow-all rule every delivery reads
    const plain = new AccessPolicy(parseAcl('allow all readwrite #').rules).bind(
      { username: undefined, role: 'anonymous' },
      'c',
    );
    expect(plain.canSubscribe('+/+')).toBe(true);
    expect(plain.canRead('anything/at-all')).toBe(true);
  });

  it('least privilege by role: an edge box speaks only for its bound devices; only the trainer writes model/desired', () => {
    const policy = new AccessPolicy();
    const edge = policy.bind(
      { username: 'edge-a1', role: 'edge', devices: ['site-a/line-1/+', 'site-b/line-9/fan-1'] },
      'edge-a1-up',
    );
    expect(edge.canPublish('takt/v1/site-a/line-1/pump-1/telemetry')).toBe(true);
    expect(edge.canPublish('takt/v1/site-b/line-9/fan-1/state')).toBe(true);
    expect(edge.canPublish('takt/v1/site-a/line-2/pump-1/telemetry')).toBe(false); // another box's line
    expect(edge.canPublish('takt/v1/site-b/line-9/fan-2/telemetry')).toBe(false);
    for (const channel of ['label', 'truth', 'model/desired', 'raw', 'camera'])
      expect(edge.canPublish(`takt/v1/site-a/line-1/pump-1/${channel}`), channel).toBe(false);
    expect(edge.canSubscribe('takt/v1/site-a/line-1/+/model/desired')).toBe(true);
    expect(edge.canSubscribe('takt/v1/site-a/line-1/+/raw')).toBe(true);
    expect(edge.canSubscribe('takt/v1/#')).toBe(true); // granted, but it reads only its own devices' raw, camera and desired model
    expect(edge.canRead('takt/v1/site-a/line-1/pump-1/raw')).toBe(true);
    expect(edge.canRead('takt/v1/site-a/line-2/pump-1/model/desired')).toBe(false);
    expect(edge.canRead('takt/v1/site-a/line-1/pump-1/telemetry')).toBe(false);
    const unbound = policy.bind({ username: 'edge-x', role: 'edge' }, 'edge-x');
    expect(unbound.canPublish('takt/v1/site-a/line-1/pump-1/telemetry')).toBe(false);
    expect(unbound.canSubscribe('takt/v1/#')).toBe(false);
    const ingestor = policy.bind({ username: 'ingestor', role: 'ingestor' }, 'ingestor-1');
    expect(ingestor.canSubscribe('takt/v1/#')).toBe(true);
    expect(ingestor.canPublish('takt/v1/a/b/c/telemetry')).toBe(false);
    const plant = policy.bind({ username: 'simulator', role: 'plant' }, 'simulator-1');
    expect(['raw', 'camera', 'truth'].map((c) => plant.canPublish(`takt/v1/a/b/c/${c}`))).toEqual([true, true, true]);
    expect(['telemetry', 'label', 'model/desired'].map((c) => plant.canPublish(`takt/v1/a/b/c/${c}`))).toEqual([
      false,
      false,
      false,
    ]);
    const trainer = policy.bind({ username: 'trainer', role: 'trainer' }, 'trainer-1');
    expect(trainer.canPublish('takt/v1/a/b/c/model/desired')).toBe(true);
    expect(trainer.canPublish('takt/v1/a/b/c/label')).toBe(false);
    const dashboard = policy.bind({ username: 'dashboard', role: 'dashboard' }, 'dashboard-1');
    expect(dashboard.canPublish('takt/v1/a/b/c/label')).toBe(true);
    expect(dashboard.canPublish('takt/v1/a/b/c/model/desired')).toBe(false);
    // a device bound in the users file gets exactly its site and line
    const press = policy.bind(
      { username: 'press-01', role: 'device', devices: ['plant-a/line-1/press-01'] },
      'press-01',
    );
    expect(press.canPublish('takt/v1/plant-a/line-1/press-01/raw')).toBe(true);
    expect(press.canPublish('takt/v1/plant-b/line-1/press-01/raw')).toBe(false);
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
    expect(svc.canSubscribe('takt/v1/#')).toBe(true);
    expect(svc.canRead('takt/v1/a/b/c/state')).toBe(false);
    expect(svc.canRead('takt/v1/a/b/c/telemetry')).toBe(true);
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
    expect(() => AccessPolicy.fromFile('/nonexistent/broker.acl')).toThrow(
      expect.objectContaining({ code: 'ACL_NOT_FOUND' }),
    );
  });
});
