import * as path from 'node:path';
import type { ScreenView } from '../../protocol/screen';
import type { KioskConfig } from '../../config/schema';

/** The store's look on the shopper's screen, as the session and the screen server need it. */
export interface ScreenBranding {
  /** The header's store name (`screen.branding.storeName`, else `device.name`). */
  storeName: string;
  /** Colours and the logo's URL, sent to the page in every view. */
  view: ScreenView['branding'];
  /** The logo file the server reads at GET /logo, or null. */
  logo: { file: string; type: 'image/svg+xml' | 'image/png' } | null;
}

/**
 * Config `screen.branding` → what the screen shows. Rules: colours are already validated CSS hex colours (config
 * schema); a relative logo path is read from the data dir; the logo's type follows its extension (.svg / .png —
 * the schema allows nothing else). A missing or oversized file is not an error here: the server answers 404 and the
 * page shows the store name alone.
 */
export function screenBranding(config: KioskConfig): ScreenBranding {
  const b = config.screen.branding;
  const logo = b.logo === null ? null : { file: path.resolve(config.dataDir, b.logo), type: /\.svg$/i.test(b.logo) ? ('image/svg+xml' as const) : ('image/png' as const) };
  return {
    storeName: b.storeName ?? config.device.name,
    view: { primaryColor: b.primaryColor, accentColor: b.accentColor, logoUrl: logo ? '/logo' : null },
    logo,
  };
}
