import { SerialPort } from 'serialport';
import { PoleDisplaySimulator } from './pole-display-sim';

async function openHost(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => undefined);
  return port;
}
const write = (port: SerialPort, bytes: Buffer) => new Promise<void>((resolve) => port.write(bytes, () => port.drain(() => resolve())));

describe('PoleDisplaySimulator', () => {
  let sim: PoleDisplaySimulator;
  afterEach(async () => {
    await sim?.close();
  });

  it('decodes what the host writes into the two lines a customer reads', async () => {
    sim = await PoleDisplaySimulator.create();
    const host = await openHost(sim.hostPath);
    await write(host, Buffer.from([0x1b, 0x40, 0x1f, 0x24, 1, 1, ...Buffer.from('Hello'), 0x1f, 0x24, 1, 2, ...Buffer.from('World')]));
    expect(await sim.waitForLines(['Hello', 'World'])).toEqual(['Hello', 'World']);
    host.close();
  });

  it('replug() power-cycles the display: blank screen, power-on settings', async () => {
    sim = await PoleDisplaySimulator.create();
    const host = await openHost(sim.hostPath);
    await write(host, Buffer.from([0x1b, 0x74, 19, ...Buffer.from('text')]));
    await sim.waitForLines(['text', '']);
    await sim.unplug();
    await sim.replug();
    expect(sim.lines()).toEqual(['', '']);
    expect(sim.decoder.state().codeTable).toBe(0);
    const again = await openHost(sim.hostPath);
    await write(again, Buffer.from('back'));
    expect(await sim.waitForLines(['back', ''])).toEqual(['back', '']);
    again.close();
  });
});
