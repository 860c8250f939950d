/** Customer display drivers: the 2×20 ESC/POS serial pole display. */
export { PoleDisplay, type PoleDisplayOptions } from './display-driver';
export { CMD, CODE_PAGES, CODEC_BY_TABLE, encodeFrame, encodeInit, encodeLine, type CodePageName, type EncodedLine, type LineEncoding } from './pole-protocol';
