/**
 * `polymigrate/testing`: the shared adapter suite (run it with vitest against real PostgreSQL).
 * See src/testing/adapter-contract.ts for what a fixture provides.
 */
export { adapterContract, type ContractFixture, type ContractEnvironment } from './testing/adapter-contract.js';
export { catalogSnapshot } from './testing/catalog-snapshot.js';
