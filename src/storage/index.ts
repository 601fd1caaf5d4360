export { type Dialect, openStorage, redactUrl, type Storage, type StorageOptions } from './database.js';
export { isUniqueViolation } from './errors.js';
export type * from './schema.js';
export { type CheckpointStats, SqliteCheckpointer } from './sqlite-checkpointer.js';
export { openSqliteConnection, UNICODE_LOWER } from './sqlite-connection.js';
export { withWriteLock } from './write-lock.js';
