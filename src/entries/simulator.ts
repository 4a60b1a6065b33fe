// `ingest/simulator`: the unstable API to test against, over HTTP or as an in-memory fetch, and
// its oracle (the records it serves).
export {
  startSimulator,
  createSimulatorFetch,
  expectedCustomers,
  expectedOrders,
  simulatorProfiles,
  type StartSimulatorOptions,
  type SimulatorOptions,
  type SimulatorProfileName,
  type RunningSimulator,
  type SimulatorFetch,
  type SimulatorStats,
} from '../simulator/index.js';
