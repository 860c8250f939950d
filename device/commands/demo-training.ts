import type { KioskConfig } from '../../config/schema';
import { readIdentity } from '../../runtime/trust/identity';
import { CliExit } from '../cli-support';

/**
 * Whether `kiosk demo` may run on this data dir, and in which mode. A provisioned data dir (identity.json present)
 * is a real lane: its orders are fiscal sales that reach HQ and the Z report, so the demo refuses there (exit 2,
 * before anything is opened or written) unless it runs as training (`--training`). On an unprovisioned data dir
 * (the embedded default) the demo sells as it always did; `--training` works there too.
 */
export function demoMode(dataDir: string, training: boolean): { training: boolean; provisioned: boolean } {
  const provisioned = readIdentity(dataDir) !== null;
  if (provisioned && !training) {
    throw new CliExit(2, `kiosk: ${dataDir} is a provisioned lane: demo orders there would be real sales; run \`kiosk demo --training\` for training orders`);
  }
  return { training, provisioned };
}

/**
 * The config a training session runs with: payment never reaches a real acquirer. A card terminal bound to a real
 * device (serial/tcp) is replaced by the simulated ZVT terminal, a real QR gateway (http) by the simulated gateway;
 * a `none` gateway stays none (the terminal has no `none`) and everything else (scanner, printer, display, light, prices) is the lane's own.
 */
export function trainingConfig(config: KioskConfig): KioskConfig {
  const terminal = { transport: 'simulated' as const };
  const simulated = <T extends { transport: string }>(c: T): T | { transport: 'simulated' } => (c.transport === 'none' ? c : { transport: 'simulated' as const });
  const p = config.payments;
  return { ...config, devices: { ...config.devices, terminal }, payments: { ...p, gateway: simulated(p.gateway), wechat: simulated(p.wechat), unionpay: simulated(p.unionpay) } };
}
