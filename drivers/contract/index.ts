export type * from './device';
export type * from './scanner';
export type * from './terminal';
export type * from './printer';
export type * from './display';
export type * from './light';
