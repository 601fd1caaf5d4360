import { devicesTelemetryApiSuite } from './suites/devices-telemetry-api.js';

devicesTelemetryApiSuite('sqlite');
