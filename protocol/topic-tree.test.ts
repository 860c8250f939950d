import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { commandResultTopic, commandTopic, configReportedTopic, configTopic, scopeOfConfigTopic } from './control/topics';
import { ALL_DEVICES, chunkTopic, manifestTopic, pricebookBase } from './pricebook/topics';
import type { Scope } from './signed-envelope';
import { deviceTopic, isValidId, levelsUnderRoot, parseTopic, TOPIC_LEAVES, TOPIC_ROOT } from './topics';

/** Store/device ids as they may come from configuration: any text the id rule admits, not starting with `_`. */
const id = fc
  .oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.constantFrom('S1', 'lane-1', 'a$', 'x.y'))
  .filter((s) => isValidId(s) && !s.startsWith('_'));

const scope: fc.Arbitrary<Scope> = fc.oneof(
  fc.constant<Scope>({ kind: 'fleet' }),
  id.map((store): Scope => ({ kind: 'store', store })),
  fc.tuple(id, id).map(([store, device]): Scope => ({ kind: 'device', store, device })),
);

describe('one topic tree', () => {
  it('every topic builder (sync, config, cmd, pricebook) starts with the one root', () => {
    fc.assert(
      fc.property(id, id, scope, fc.constantFrom(...TOPIC_LEAVES), (store, device, sc, leaf) => {
        const topics = [
          deviceTopic(store, device, leaf),
          configTopic(sc),
          commandTopic(store, device),
          commandResultTopic(store, device),
          configReportedTopic(store, device),
          manifestTopic(pricebookBase({ store })),
          chunkTopic(pricebookBase({ store, device }), 'v7', 3),
        ];
        for (const t of topics) expect(t.startsWith(`${TOPIC_ROOT}/`)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('parse(build(x)) round-trips: sync topics, config scopes, cmd and pricebook levels', () => {
    fc.assert(
      fc.property(id, id, scope, fc.constantFrom(...TOPIC_LEAVES), (store, device, sc, leaf) => {
        expect(parseTopic(deviceTopic(store, device, leaf))).toEqual({ storeId: store, deviceId: device, leaf });
        expect(scopeOfConfigTopic(configTopic(sc))).toEqual(sc);
        expect(levelsUnderRoot(commandTopic(store, device))).toEqual([store, device, 'cmd']);
        expect(levelsUnderRoot(commandResultTopic(store, device))).toEqual([store, device, 'cmd', 'result']);
        expect(levelsUnderRoot(configReportedTopic(store, device))).toEqual([store, device, 'config', 'reported']);
        expect(levelsUnderRoot(pricebookBase({ store }))).toEqual([store, ALL_DEVICES, 'pricebook']);
        expect(levelsUnderRoot(pricebookBase({ store, device }))).toEqual([store, device, 'pricebook']);
      }),
      { numRuns: 300 },
    );
  });

  it('every builder refuses an id the one rule refuses', () => {
    for (const bad of ['', 'a/b', 'a+', '#', '$SYS', 'a\0b', 'x'.repeat(129)]) {
      expect(() => deviceTopic(bad, 'K1', 'events')).toThrow(TypeError);
      expect(() => configTopic({ kind: 'store', store: bad })).toThrow(TypeError);
      expect(() => configTopic({ kind: 'device', store: 'S1', device: bad })).toThrow(TypeError);
      expect(() => commandTopic('S1', bad)).toThrow(TypeError);
      expect(() => commandResultTopic(bad, 'K1')).toThrow(TypeError);
      expect(() => configReportedTopic('S1', bad)).toThrow(TypeError);
      expect(() => pricebookBase({ store: bad })).toThrow(TypeError);
      expect(() => pricebookBase({ store: 'S1', device: bad })).toThrow(TypeError);
    }
    // `_fleet` / `_all` are levels of the tree, never ids
    expect(() => configTopic({ kind: 'store', store: '_fleet' })).toThrow(TypeError);
    expect(() => commandTopic('S1', '_all')).toThrow(TypeError);
    expect(scopeOfConfigTopic(`${TOPIC_ROOT}/$x/_all/config`)).toBeNull();
  });
});
