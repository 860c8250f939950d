/** Config `screen.branding` → what the screen shows: validated colours, the logo path resolved in the data dir. */
import * as path from 'node:path';
import { loadConfig } from '../../config/load';
import { screenBranding } from './branding';

const load = (branding: Record<string, unknown>) => loadConfig({ env: {}, overrides: { dataDir: '/srv/kiosk-data', screen: { branding } } });

describe('screen branding', () => {
  it('defaults: the device name, the screen colours, no logo', () => {
    const c = loadConfig({ env: {}, overrides: { dataDir: '/srv/kiosk-data' } });
    expect(screenBranding(c)).toEqual({
      storeName: c.device.name,
      view: { primaryColor: '#0a7d32', accentColor: '#ffd400', logoUrl: null },
      logo: null,
    });
  });

  it('a configured store name, colours and logo (relative to the data dir; type from the extension)', () => {
    const b = screenBranding(load({ storeName: 'Harbour Market', logo: 'brand/logo.PNG', primaryColor: '#1A5FB4', accentColor: '#e61' }));
    expect(b).toEqual({
      storeName: 'Harbour Market',
      view: { primaryColor: '#1A5FB4', accentColor: '#e61', logoUrl: '/logo' },
      logo: { file: path.resolve('/srv/kiosk-data', 'brand/logo.PNG'), type: 'image/png' },
    });
    expect(screenBranding(load({ logo: '/etc/kiosk/logo.svg' })).logo).toEqual({ file: '/etc/kiosk/logo.svg', type: 'image/svg+xml' });
  });

  it.each([
    [{ primaryColor: 'red' }, 'screen.branding.primaryColor'],
    [{ accentColor: '#ffd40' }, 'screen.branding.accentColor'],
    [{ primaryColor: '#12345g' }, 'screen.branding.primaryColor'],
    [{ accentColor: 'url(javascript:alert(1))' }, 'screen.branding.accentColor'],
    [{ logo: 'logo.gif' }, 'screen.branding.logo'],
    [{ storeName: '' }, 'screen.branding.storeName'],
    [{ colour: '#000' }, 'screen.branding'],
  ])('refuses %j (names %s)', (branding, field) => {
    expect(() => load(branding)).toThrow(field);
  });
});
