export type * from './events.js';
export { rooms } from './events.js';
export {
  type RealtimeDeps,
  RealtimeGateway,
  type RealtimeOptions,
  type RealtimeStats,
  SOCKET_IO_PATH,
  type SocketQueueStats,
} from './gateway.js';
