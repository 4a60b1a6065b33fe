export { startSimulator, type StartSimulatorOptions, type RunningSimulator } from './startSimulator.js';
export { createSimulatorFetch, type SimulatorFetch, type SimExchange } from './createSimulatorFetch.js';
export { createSimulatorCore, type SimulatorCore } from './simulatorCore.js';
export { handleRequest, createSimulatorState, type SimulatorState } from './handleRequest.js';
export { encodeCursor } from './pageRequest.js';
export type { SimRequest, SimResponse, Delivery } from './simResponse.js';
export {
  resolveSimulatorOptions,
  type SimulatorOptions,
  type ResolvedSimulatorOptions,
  type LatencyDistribution,
  type OutageWindow,
} from './simulatorOptions.js';
export { simulatorProfiles, type SimulatorProfileName } from './simulatorProfiles.js';
export { faultKinds, type SimulatorStats, type SimulatorEndpoint, type FaultKind } from './simulatorStats.js';
export { expectedCustomers, expectedOrders } from './servedPage.js';
export { customerAt } from './customerAt.js';
export { orderAt } from './orderAt.js';
export { dirtKinds, type DirtKind } from './dirtyData.js';
export { toJson, type SimRecord, type SimValue } from './toJson.js';
export { signToken, verifyToken, type TokenClaims } from './jwt.js';
