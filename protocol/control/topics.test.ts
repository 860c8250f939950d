import { commandResultTopic, commandTopic, configTopic, configTopicsFor, scopeOfConfigTopic } from './topics';

describe('trust topics', () => {
  it('maps scopes to config topics and back', () => {
    expect(configTopicsFor('s1', 'd1')).toEqual(['kiosk/v1/_fleet/config', 'kiosk/v1/s1/_all/config', 'kiosk/v1/s1/d1/config']);
    for (const t of configTopicsFor('s1', 'd1')) expect(configTopic(scopeOfConfigTopic(t)!)).toBe(t);
    expect(scopeOfConfigTopic('kiosk/v1/s1/d1/config')).toEqual({ kind: 'device', store: 's1', device: 'd1' });
    expect(commandTopic('s1', 'd1')).toBe('kiosk/v1/s1/d1/cmd');
    expect(commandResultTopic('s1', 'd1')).toBe('kiosk/v1/s1/d1/cmd/result');
  });

  it('is null for anything that is not a config topic', () => {
    for (const t of ['kiosk/v1/s1/d1/cmd', 'kiosk/v2/_fleet/config', 'kiosk/v1/_all/config', 'kiosk/v1/_fleet/x/config', 'kiosk/v1/s1/_x/config', 'kiosk/v1/s1/d1/config/reported']) {
      expect(scopeOfConfigTopic(t)).toBeNull();
    }
  });
});
