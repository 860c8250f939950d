import { checkMemberSnapshot, membersTopic, readMembersReported } from './member-snapshot';

describe('member snapshot', () => {
  const ok = { v: 1, members: [['A1', 'personal', 10], ['B2', 'business', -5]], counted: { 's1/k1': 42 } };

  it('accepts a well-formed snapshot', () => {
    expect(checkMemberSnapshot(ok)).toBeNull();
  });

  it.each([
    [{ ...ok, v: 2 }, 'v: expected 1'],
    [{ ...ok, extra: 1 }, 'extra: unknown field'],
    [{ ...ok, members: [['A1', 'vip', 1]] }, 'members[0][1]: expected one of personal, business, group'],
    [{ ...ok, members: [['B', 'personal', 1], ['A', 'personal', 1]] }, 'members[1][0]: ids must be unique and sorted'],
    [{ ...ok, members: [['A 1', 'personal', 1]] }, 'members[0][0]: expected a member id'],
    [{ ...ok, members: [['A1', 'personal', 1.5]] }, 'members[0][2]: expected an integer'],
    [{ ...ok, counted: { s1: 1 } }, 'counted: "s1" is not "<store>/<device>"'],
    [{ ...ok, counted: { 's1/k1': -1 } }, 'counted.s1/k1: expected a journal seq'],
    [[], 'body: expected an object'],
  ])('refuses %j', (body, detail) => {
    expect(checkMemberSnapshot(body)).toBe(detail);
  });

  it('names its topic and reads reports leniently', () => {
    expect(membersTopic('s1')).toBe('kiosk/v1/s1/_all/members');
    expect(() => membersTopic('a/b')).toThrow(TypeError);
    expect(readMembersReported({ v: 1, version: 3, status: 'applied', members: 2, ts: 5 })).toEqual({ v: 1, version: 3, status: 'applied', members: 2, ts: 5 });
    expect(readMembersReported({ v: 1, version: 3, status: 'weird', ts: 5 })).toBeNull();
  });
});
