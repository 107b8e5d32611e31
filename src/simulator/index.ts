// kwok-like simulated nodes for scale tests: Nodes, Leases and pod lifecycles through the API, no containers.
export { Simulator, type SimulatorOptions, type SimulatorStats } from './simulator.js';
export { parseDuration } from '../util/duration.js';
export { KUBELET_VERSION, RUNTIME_VERSION, SIMULATED_LABEL } from './objects.js';
