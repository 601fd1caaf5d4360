/** What the hot path needs to know about a device, cached by id and by token hash. */
export interface DeviceRef {
  id: string;
  organizationId: string;
  name: string;
  deviceType: string;
  active: boolean;
  inactivityTimeoutS: number | null;
}

/** Silence after which a device without a live connection is marked offline, when it sets none itself. */
export const DEFAULT_INACTIVITY_TIMEOUT_S = 600;
