import * as fs from 'node:fs';
import { SerialPort } from 'serialport';
import { deviceNumber, pathExists } from '../kernel/path-presence';
import type { CableAccess } from './serial-cable';

/** The operating system's serial ports: serialport's native binding and stat() on the path (a pty pair's ends). */
export const OS_CABLE_ACCESS: CableAccess = {
  binding: SerialPort.binding,
  existsSync: (path) => fs.existsSync(path),
  pathExists,
  deviceNumber,
};
