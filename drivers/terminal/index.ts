export { ZvtTerminal, type ZvtTerminalOptions, type ZvtConnection, type ZvtTimeouts, type ZvtLogger, type TerminalStatusReport } from './zvt-terminal';
export { SerialTransport, type SerialTransportOptions } from './serial-transport';
export { TcpTransport, type TcpTransportOptions } from './tcp-transport';
export { FramedLink, type FramedLinkOptions, type LinkFaults, type LinkStats } from './framed-link';
export type { ZvtTransport, TransportEvents } from './transport';
export { zvtCodecSelfTest } from './self-test';
