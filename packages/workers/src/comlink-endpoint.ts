/**
 * Comlink's adapter from a Node `Worker` / `parentPort` to its endpoint interface. Its UMD
 * build exports the function as `module.exports`; TypeScript's view of it is `.default`.
 *
 * @module
 */
import adapter from 'comlink/dist/umd/node-adapter.js';

type NodeEndpoint = typeof adapter.default;

export const nodeEndpoint: NodeEndpoint =
  (adapter as unknown as { default?: NodeEndpoint }).default ??
  (adapter as unknown as NodeEndpoint);
