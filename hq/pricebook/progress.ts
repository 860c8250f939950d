import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** `done` of `total` units finished. */
  update(done: number): void;
  stop(): void;
}

/**
 * Progress of a long step on stderr: a cli-progress bar when stderr is a TTY, otherwise one line per 10 % (and the
 * last one at 100 %), so a log or a pipe gets a few readable lines instead of a redrawn bar.
 */
export function progressReporter(label: string, total: number, unit: string, io: { write: (t: string) => void; tty: boolean; stream?: NodeJS.WritableStream }): Progress {
  if (io.tty && io.stream) {
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit}`, stream: io.stream, hideCursor: false }, Presets.shades_classic);
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let lastTenth = -1;
  const line = (done: number) => {
    const pct = total === 0 ? 100 : Math.floor((done * 100) / total);
    const tenth = Math.floor(pct / 10);
    if (tenth <= lastTenth) return;
    lastTenth = tenth;
    io.write(`${label}: ${pct}% (${done}/${total} ${unit})\n`);
  };
  line(0);
  return { update: line, stop: () => line(total) };
}
