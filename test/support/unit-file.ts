/** A systemd unit file as sections of directives (a directive may repeat: DeviceAllow=, After=). */
export type UnitFile = Record<string, Record<string, string[]>>;

export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = {};
  let section = '';
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = pending + raw.trim();
    pending = '';
    if (line.endsWith('\\')) {
      pending = `${line.slice(0, -1)} `;
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1];
      unit[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    (unit[section][key] ??= []).push(line.slice(eq + 1).trim());
  }
  return unit;
}

/** Every value of `key` in `section`, split on whitespace (After=a b, SupplementaryGroups=x y). */
export const words = (u: UnitFile, section: string, key: string): string[] => (u[section]?.[key] ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);

/** A requirement the issue makes of a unit: a directive (in a section) and the check its values must pass. */
export interface UnitRule {
  section: string;
  key: string;
  why: string;
  ok: (values: string[]) => boolean;
}

const is = (v: string) => (values: string[]) => values.length > 0 && values[values.length - 1] === v;
const has = (...v: string[]) => (values: string[]) => v.every((x) => values.flatMap((s) => s.split(/\s+/)).includes(x));
const seconds = (values: string[]) => values.length > 0 && /^[1-9]\d*(s|min)?$/.test(values[values.length - 1]);

export const KIOSK_UNIT_RULES: UnitRule[] = [
  { section: 'Service', key: 'Type', why: 'sd_notify READY=1', ok: is('notify') },
  { section: 'Service', key: 'NotifyAccess', why: 'the kiosk notifies through its systemd-notify children', ok: is('all') },
  { section: 'Service', key: 'WatchdogSec', why: 'a stuck event loop is restarted', ok: seconds },
  { section: 'Service', key: 'Restart', why: 'restart after a crash', ok: is('on-failure') },
  { section: 'Service', key: 'RestartSec', why: 'no restart storm', ok: seconds },
  { section: 'Service', key: 'TimeoutStopSec', why: 'time to finish transactions and close the devices', ok: seconds },
  { section: 'Service', key: 'ExecStart', why: 'the installed launcher with the lane paths', ok: is('/usr/local/bin/kiosk start --config /etc/kiosk/config.json --data /var/lib/kiosk') },
  { section: 'Service', key: 'User', why: 'never root', ok: is('kiosk') },
  { section: 'Service', key: 'Group', why: 'never root', ok: is('kiosk') },
  { section: 'Service', key: 'SupplementaryGroups', why: 'serial and USB devices', ok: has('dialout', 'plugdev') },
  { section: 'Service', key: 'NoNewPrivileges', why: 'hardening', ok: is('yes') },
  { section: 'Service', key: 'ProtectSystem', why: 'hardening: read-only system', ok: is('strict') },
  { section: 'Service', key: 'ReadWritePaths', why: 'only the data dir is writable', ok: is('/var/lib/kiosk') },
  { section: 'Service', key: 'PrivateTmp', why: 'hardening', ok: is('yes') },
  { section: 'Service', key: 'ProtectHome', why: 'hardening', ok: is('yes') },
  { section: 'Service', key: 'DevicePolicy', why: 'only the allowed device classes', ok: is('closed') },
  { section: 'Service', key: 'DeviceAllow', why: 'the lane devices', ok: has('char-ttyUSB', 'char-ttyACM', 'char-hidraw', 'char-usb_device') },
  { section: 'Service', key: 'StateDirectory', why: '/var/lib/kiosk', ok: is('kiosk') },
  { section: 'Service', key: 'StateDirectoryMode', why: 'the data dir is private', ok: is('0700') },
  { section: 'Service', key: 'UMask', why: 'files the kiosk creates are private', ok: is('0077') },
  { section: 'Install', key: 'WantedBy', why: 'enabled at boot', ok: is('multi-user.target') },
];

export const SCREEN_UNIT_RULES: UnitRule[] = [
  { section: 'Unit', key: 'Requires', why: 'needs the kiosk', ok: has('kiosk.service') },
  { section: 'Unit', key: 'BindsTo', why: 'stops with the kiosk', ok: has('kiosk.service') },
  { section: 'Unit', key: 'After', why: 'after the kiosk is ready (Type=notify)', ok: has('kiosk.service') },
  { section: 'Service', key: 'Restart', why: 'restarted if it dies', ok: is('always') },
  { section: 'Service', key: 'User', why: 'not root, not the kiosk user', ok: is('kiosk-screen') },
  { section: 'Service', key: 'EnvironmentFile', why: 'the screen URL from the config', ok: is('/etc/kiosk/screen.env') },
  {
    section: 'Service',
    key: 'ExecStart',
    why: 'Chromium in kiosk mode in cage, touch on, no pinch/overscroll, the screen URL',
    ok: has('/usr/bin/cage', '/usr/bin/chromium', '--kiosk', '--ozone-platform=wayland', '--touch-events=enabled', '--disable-pinch', '--overscroll-history-navigation=0', '${KIOSK_SCREEN_URL}'),
  },
  { section: 'Service', key: 'PAMName', why: 'a logind session gives cage the seat', ok: is('login') },
  { section: 'Install', key: 'WantedBy', why: 'started whenever the kiosk starts', ok: has('kiosk.service') },
];

/** The rules `text` breaks, as "Section.Key (why)". */
export function lintUnit(text: string, rules: UnitRule[]): string[] {
  const u = parseUnit(text);
  return rules.filter((r) => !r.ok(u[r.section]?.[r.key] ?? [])).map((r) => `${r.section}.${r.key} (${r.why})`);
}
