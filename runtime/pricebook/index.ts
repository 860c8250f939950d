export { readPriceBookFile, DEFAULT_BATCH_SIZE, MAX_RECORD_BYTES, CSV_REQUIRED_COLUMNS, type ReadPriceBookOptions } from './reader';
export { priceItemSchema, checkPriceItem, type FieldProblem } from './schema';
