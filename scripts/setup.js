#!/usr/bin/env node
/*
 * Installs what the kiosk and its tests need beyond npm packages, on a fresh Debian machine (as root).
 * `--if-missing` (run by `npm test` first) checks each requirement and installs only what is missing; without
 * it, every requirement is (re)checked and reported. Exits non-zero if something stays missing: tests never skip.
 *
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Each requirement: how to tell it is there, and how to get it. */
const REQUIREMENTS = [
  {
    name: 'sqlite3 native module',
    check: () => spawnSync(process.execPath, ['-e', "require('sqlite3')"], { cwd: root, stdio: 'ignore' }).status === 0,
    apt: ['python3', 'make', 'g++'],
    after: () => execFileSync('npm', ['rebuild', 'sqlite3'], { cwd: root, stdio: 'inherit' }),
  },
  {
    name: 'socat (pseudo-terminal pairs for serial device simulators)',
    check: () => spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0,
    apt: ['socat'],
  },
  {
    name: 'libusb and libudev (node-hid and usb native modules)',
    check: () =>
      spawnSync(process.execPath, ['-e', "require('node-hid').devices(); require('usb').usb.getDeviceList()"], { cwd: root, stdio: 'ignore' })
        .status === 0,
    apt: ['libusb-1.0-0', 'libudev1'],
  },
  {
    name: 'Noto CJK fonts (Chinese in PDF receipts and screenshots)',
    check: () => require('node:fs').existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'),
    apt: ['fonts-noto-cjk'],
  },
  {
    name: 'pdftotext (reads back generated PDFs in tests)',
    check: () => spawnSync('pdftotext', ['-v'], { stdio: 'ignore' }).status === 0,
    apt: ['poppler-utils'],
  },
  {
    name: 'Mosquitto MQTT broker (HQ sync tests run against a real broker)',
    check: () => require('node:fs').existsSync('/usr/sbin/mosquitto'),
    apt: ['mosquitto'],
  },
  {
    name: 'PostgreSQL server (HQ ingest runs on SQLite or PostgreSQL; both are tested)',
    check: () => {
      const fs = require('node:fs');
      const base = '/usr/lib/postgresql';
      return fs.existsSync(base) && fs.readdirSync(base).some((v) => fs.existsSync(`${base}/${v}/bin/postgres`));
    },
    apt: ['postgresql'],
  },
  {
    name: 'openssl (HQ\'s certificate authority is cross-checked with openssl verify -crl_check)',
    check: () => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0,
    apt: ['openssl'],
  },
  {
    name: 'NATS server (a clustered MQTT broker test)',
    check: () => spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0,
    apt: ['nats-server'],
  },
  {
    name: 'mount, mkfs.ext4 and findmnt (storage faults are tested on a real small tmpfs and an ext4 image on a loop device)',
    check: () => ['mount', 'umount', 'findmnt', 'mkfs.ext4'].every((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0),
    apt: ['mount', 'util-linux', 'e2fsprogs'],
  },
  {
    name: 'python3 (a fake NOTIFY_SOCKET in tests: Node has no unix datagram sockets)',
    check: () => spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0,
    apt: ['python3'],
  },
  {
    name: 'systemd tools (systemd-analyze verify checks the service units; the kiosk notifies systemd through systemd-notify)',
    check: () => ['systemd-analyze', 'systemd-notify'].every((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0),
    apt: ['systemd'],
  },
  {
    name: 'Chromium (the shopper screen is tested in a real headless browser)',
    check: () => require('node:fs').existsSync('/usr/bin/chromium'),
    apt: ['chromium'],
  },
];

function aptInstall(packages) {
  if (packages.length === 0) return;
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(`missing Debian packages: ${packages.join(' ')} — run as root: apt-get install -y ${packages.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}

function main() {
  const missing = REQUIREMENTS.filter((r) => !r.check());
  if (missing.length === 0) {
    if (!process.argv.includes('--if-missing')) console.log('setup: everything is in place');
    return;
  }
  console.log(`setup: installing ${missing.map((r) => r.name).join(', ')}`);
  aptInstall([...new Set(missing.flatMap((r) => r.apt))]);
  for (const r of missing) r.after?.();
  const still = missing.filter((r) => !r.check());
  if (still.length) {
    console.error(`setup: still missing after install: ${still.map((r) => r.name).join(', ')}`);
    process.exit(1);
  }
  console.log('setup: done');
}

main();
