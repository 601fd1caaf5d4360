export { type CommandFamily, familyOf, rpcRequestId } from './families.js';
export { registerCommandRoutes } from './routes.js';
export { CommandService, type CommandServiceOptions, DEFAULT_COMMAND_OPTIONS, type NewCommand } from './service.js';
export { defaultSparkplugCommander, type SparkplugCommander } from './sparkplug.js';
export { type CommandRow, type CommandStatus, CommandStore } from './store.js';
export {
  type CommandTransport,
  EmbeddedCommandTransport,
  ExternalCommandTransport,
} from './transport.js';
