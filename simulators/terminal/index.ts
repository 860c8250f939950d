export {
  ZvtTerminalSimulator,
  DEFAULT_SIM_CARD,
  type SimCard,
  type SimDelays,
  type SimErrorRates,
  type TerminalSimulatorOptions,
  type SimEvents,
  type SimStats,
  type SimRegistration,
  type StatusInfoOnRepeat,
  type SimCommand,
  type SerialLinkStats,
} from './zvt-simulator';
export { SimJournal, type JournalEntry, type JournalKind, type JournalResult } from './journal';
