import bindTransport from 'firmata-io';
import { SerialPort } from 'serialport';

/**
 * firmata.js bound to serialport v13. The `firmata` package itself requires serialport 8 at load time, whose
 * native binding is not built by this project's install (and throws "Missing serialport dependency"); the
 * transport only matters when firmata opens a port by path, which the driver never does — it hands firmata an
 * open serialport v13 port.
 */
export const Firmata = bindTransport(SerialPort);
