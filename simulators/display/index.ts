/** Pole display simulator: an ESC/POS customer display decoder on a real pty pair. */
export { PoleDisplaySimulator, type PoleDisplaySimOptions } from './pole-display-sim';
export { PoleDisplayDecoder, type DisplayMode, type PoleDisplayState } from './pole-display-decoder';
