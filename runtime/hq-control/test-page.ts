import type { PrintJob } from '../../drivers/contract';

export interface TestPageInfo {
  /** The print job id (unique per page: a job id prints at most once). */
  id: string;
  store: string;
  device: string;
  /** Injected-clock ms. */
  now: number;
  /** The store's zone, for the printed time. */
  timeZone: string;
  /** e.g. `kiosk-runtime/0.1.0`. */
  software: string;
}

/** `2026-12-06 14:30:05` in `timeZone`. */
function localTime(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/**
 * The page HQ's `print_test` command prints on the lane's receipt printer: a title in both languages, the store and
 * device ids, the local time, the software version, a character line in each language, a QR code and a Code 128
 * barcode naming the lane, then a cut — what a technician checks the printer, its paper, its Chinese mode and its
 * cutter by.
 */
export function hqTestPage(info: TestPageInfo): PrintJob {
  return {
    id: info.id,
    blocks: [
      { kind: 'text', text: 'TEST PAGE', align: 'center', bold: true, size: 2 },
      { kind: 'text', text: '打印测试页', align: 'center', bold: true },
      { kind: 'rule' },
      { kind: 'line', left: 'Store / 门店', right: info.store },
      { kind: 'line', left: 'Device / 设备', right: info.device },
      { kind: 'line', left: 'Time / 时间', right: localTime(info.now, info.timeZone) },
      { kind: 'line', left: 'Software / 软件', right: info.software },
      { kind: 'rule' },
      { kind: 'text', text: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789' },
      { kind: 'text', text: 'abcdefghijklmnopqrstuvwxyz !#%&*+-/=?@' },
      { kind: 'text', text: '中文字符测试：收银 找零 小票 ¥12.34' },
      { kind: 'rule' },
      { kind: 'qr', data: `kiosk-test:${info.store}/${info.device}` },
      { kind: 'barcode', data: `T-${info.device}`.slice(0, 40), symbology: 'code128' },
      { kind: 'text', text: 'Requested by HQ / 总部远程打印', align: 'center' },
    ],
    cut: true,
  };
}
