import { loadConfig } from '../../config/load';
import { SystemClock } from '../../kernel/clock';
import { ConfigError, KioskError } from '../../kernel/errors';
import { ptyCable } from '../../simulators/cables';
import { InProcessLink } from '../../simulators/in-process-link';
import { findOnPath } from '../../kernel/path-presence';
import { SOCAT_MISSING, simulatedCable } from './sim-cable';

const ctx = (env: NodeJS.ProcessEnv) => ({ config: loadConfig({ env }), clock: new SystemClock() });

describe('devices.simulatedLink: the cable of the simulated devices', () => {
  it('defaults to the in-process link, which needs nothing on PATH', async () => {
    const c = ctx({});
    expect(c.config.devices.simulatedLink).toBe('in-process');
    const cable = await simulatedCable(c, '')('scanner');
    expect(cable).toBeInstanceOf(InProcessLink);
    expect(cable.hostPath).toBe('inproc:scanner-host');
    await cable.close();
  });

  it('pty mode without socat on PATH: a KioskError with the one-line fix', () => {
    expect(() => simulatedCable(ctx({ KIOSK_DEVICES__SIMULATED_LINK: 'pty' }), '/nonexistent')).toThrow(KioskError);
    expect(() => simulatedCable(ctx({ KIOSK_DEVICES__SIMULATED_LINK: 'pty' }), '/nonexistent')).toThrow(SOCAT_MISSING);
  });

  it('pty mode with socat on PATH: socat pty pairs', () => {
    expect(findOnPath('socat')).not.toBeNull(); // setup.js installs it for the tests
    expect(simulatedCable(ctx({ KIOSK_DEVICES__SIMULATED_LINK: 'pty' }))).toBe(ptyCable);
  });

  it('any other value is a config error naming the field', () => {
    expect(() => loadConfig({ env: { KIOSK_DEVICES__SIMULATED_LINK: 'serial' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { KIOSK_DEVICES__SIMULATED_LINK: 'serial' } })).toThrow(/devices\.simulatedLink: expected one of "in-process", "pty"/);
  });
});
