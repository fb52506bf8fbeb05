export { startEmbedded } from './embedded.ts';
