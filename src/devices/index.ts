export { DEFAULT_INACTIVITY_TIMEOUT_S, type DeviceRef } from './device-ref.js';
export { PresenceTracker } from './presence.js';
export { type DevicePatch, DeviceRegistry, type NewDevice } from './registry.js';
export { type DeviceRow, DeviceStore } from './store.js';
