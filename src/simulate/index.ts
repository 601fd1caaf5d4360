export { registerSimulateCommand } from './cli.js';
export { type SimulatedDevice, type SimulatorAuth, simulatedIds } from './fleet.js';
export { DeviceSignals, METRIC_SPECS, Signal, seededRandom } from './signals.js';
export { Simulation, type SimulationOptions, type SimulationStats } from './simulator.js';
