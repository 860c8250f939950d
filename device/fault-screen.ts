import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { KioskConfig } from '../config/schema';
import type { Lang, ScreenCommand, ScreenView, ViewAttendant } from '../protocol/screen';
import type { LaneCondition } from '../runtime/supervision/lane-condition';
import { KioskError } from '../kernel/errors';
import { screenBranding } from '../runtime/screen/branding';
import type { ScreenSessionEvents } from '../runtime/screen/screen-session';
import { startScreenServer } from '../runtime/screen/server';
import { projectRoot } from '../kernel/project-root';

const NO_ATTENDANT: ViewAttendant = { active: false, attendantId: null, pinPad: false, error: null, lockedUntil: null, tab: 'order', orders: null, health: null, notice: null };

/**
 * The shopper's screen while the kiosk could not boot (storage or data fault): always the out-of-service view with
 * the reasons, every command refused. Nothing here needs the database, so it works whatever broke.
 */
export class FaultScreenSession extends EventEmitter<ScreenSessionEvents> {
  private seq = 0;
  constructor(
    private readonly config: KioskConfig,
    private condition: LaneCondition,
  ) {
    super();
  }

  update(condition: LaneCondition): void {
    this.condition = condition;
    this.emit('view', this.view());
  }

  view(): ScreenView {
    const brand = screenBranding(this.config);
    return {
      seq: ++this.seq,
      lang: this.config.locales.default as Lang,
      languages: this.config.locales.available as Lang[],
      screen: 'out_of_service',
      storeName: brand.storeName,
      currency: { code: this.config.currency.code, minorUnits: this.config.currency.minorUnits },
      order: null,
      methods: [],
      paying: null,
      message: null,
      receipt: null,
      outOfService: { reasons: this.condition.reasons, message: this.condition.message },
      attendant: NO_ATTENDANT,
      laneClosed: null,
      branding: brand.view,
    };
  }

  attendantView(): ViewAttendant {
    return NO_ATTENDANT;
  }

  connect(): void {}

  disconnect(): void {}

  command(c: ScreenCommand): Promise<void> {
    return Promise.reject(new KioskError('OUT_OF_SERVICE', `lane out of service: ${this.condition.reasons.join('; ')}; "${c.kind}" refused`));
  }
}

/** Serves the fault screen on `screen.port` (0 = any free port), with the normal UI files. */
export async function startFaultScreen(config: KioskConfig, condition: LaneCondition, onError?: (e: unknown) => void) {
  const session = new FaultScreenSession(config, condition);
  const root = projectRoot();
  const server = await startScreenServer(session, {
    port: config.screen.port,
    staticDir: path.join(root, 'screen-ui'),
    scriptDir: path.join(root, 'dist', 'screen', 'public', 'screen-ui'),
    logo: screenBranding(config).logo,
    onError,
  });
  return { port: server.port, session, close: () => server.close() };
}
