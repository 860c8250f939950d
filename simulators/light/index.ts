export * from './firmata-board';
export * from './firmata-parser';
