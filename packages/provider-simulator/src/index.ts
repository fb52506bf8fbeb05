export { startPaymentSimulator } from './payment-simulator.ts';
export type { PaymentSimulator, PaymentSimulatorOptions } from './payment-simulator.ts';
export type { SimulatorKnobs } from './simulator-knobs.ts';
