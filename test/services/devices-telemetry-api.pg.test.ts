import { onPostgres } from '../helpers/services.js';
import { devicesTelemetryApiSuite } from '../suites/devices-telemetry-api.js';

onPostgres('devices and telemetry API', () => devicesTelemetryApiSuite('postgres'));
